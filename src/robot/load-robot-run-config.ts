/**
 * A robot config for a run: loadRobotConfig (schema, task, files) plus what only the outer
 * layers can check, the PETS controller's overrides against its planner profile, reported at
 * the robot file's line like any other config error, before anything is started.
 */
import { loadRobotConfig, type RobotLoadOptions } from '../config/robot-loader.js';
import type { RobotConfig } from '../config/robot-schema.js';
import { loadTask } from '../config/task-loader.js';
import { YamlSource } from '../config/yaml-source.js';
import { PlannerOverrideError, robotPlannerProfile } from '../planning/robot-planner-profile.js';

export function loadRobotRunConfig(file: string, options: RobotLoadOptions = {}): RobotConfig {
  const config = loadRobotConfig(file, options);
  if (config.controller.type !== 'pets') return config;
  try {
    robotPlannerProfile(loadTask(config.task, { tasksDir: options.tasksDir }).task.name, config.controller);
  } catch (error) {
    if (!(error instanceof PlannerOverrideError)) throw error;
    throw YamlSource.read(file).error(
      error.issues.map((i) => ({ path: ['controller', i.field], message: i.message })),
    );
  }
  return config;
}
