/**
 * Loads a robot config and checks it against the task it names: limits may only override
 * actions the task has. Relative paths in the file are resolved against the file itself, so
 * the returned config means the same thing whatever the working directory.
 */
import path from 'node:path';
import type { RobotConfig } from './robot-schema.js';
import { RobotConfigSchema } from './robot-schema.js';
import { calibrationDir } from './package-paths.js';
import { isTaskPath, loadTask, resolveTaskFile } from './task-loader.js';
import { YamlSource } from './yaml-source.js';

export interface RobotLoadOptions {
  /** Where named tasks live; default <package>/hardware/tasks. */
  tasksDir?: string;
}

/**
 * Reads and validates `file`, loads its task, and cross-checks the two. In the result, `task`
 * (when a path) and driver `device` and `calibration` paths are absolute (calibration defaults
 * to <package>/calibration/<robot>.yaml).
 */
export function loadRobotConfig(file: string, options: RobotLoadOptions = {}): RobotConfig {
  const source = YamlSource.read(file);
  const config = source.validate(RobotConfigSchema);
  const baseDir = path.dirname(path.resolve(file));
  const lookup = { tasksDir: options.tasksDir, baseDir };

  // A missing task is this file's mistake, so report it at this file's `task` field.
  const ref = resolveTaskFile(config.task, lookup);
  if (ref.problem) throw source.error([{ path: ['task'], message: ref.problem }]);
  const { task } = loadTask(config.task, lookup);

  const actions = task.action.map((a) => a.name);
  const unknown = Object.keys(config.control.limits).filter((name) => !actions.includes(name));
  if (unknown.length > 0)
    throw source.error(
      unknown.map((name) => ({
        path: ['control', 'limits', name],
        atKey: true,
        message: `unknown action ${JSON.stringify(name)} (task "${task.name}" has actions: ${actions.join(', ')})`,
      })),
    );

  const jointCommands = config.topics.joint_commands;
  if (jointCommands && jointCommands.length !== actions.length)
    throw source.error([
      {
        path: ['topics', 'joint_commands'],
        message: `expected one entry per action (${actions.join(', ')}), got ${jointCommands.length}`,
      },
    ]);

  // Teleop maps name actions too; a typo must stop the run here, at its line, not at start.
  const teleopIssues = [
    ...config.teleop.keyboard.keys.map((k, i) => ({
      name: k.action,
      path: ['teleop', 'keyboard', 'keys', i, 'action'],
    })),
    ...(config.teleop.joy?.axes ?? []).map((a, i) => ({
      name: a.action,
      path: ['teleop', 'joy', 'axes', i, 'action'],
    })),
  ]
    .filter(({ name }) => !actions.includes(name))
    .map(({ name, path }) => ({
      path,
      message: `unknown action ${JSON.stringify(name)} (task "${task.name}" has actions: ${actions.join(', ')})`,
    }));
  if (teleopIssues.length > 0) throw source.error(teleopIssues);

  return {
    ...config,
    task: isTaskPath(config.task) ? ref.file : config.task,
    drivers: config.drivers.map((d) =>
      d.type === 'serial' || d.type === 'mqtt'
        ? {
            ...d,
            device: path.resolve(baseDir, d.device),
            calibration: d.calibration
              ? path.resolve(baseDir, d.calibration)
              : path.join(calibrationDir(), `${config.robot}.yaml`),
          }
        : d,
    ),
  };
}
