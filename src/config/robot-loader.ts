/**
 * Loads a robot config and checks it against the task it names: limits may only override
 * actions the task has. Relative paths in the file are resolved against the file itself, so
 * the returned config means the same thing whatever the working directory.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RobotConfig } from './robot-schema.js';
import { RobotConfigSchema } from './robot-schema.js';
import { calibrationDir, hardwareDir } from './package-paths.js';
import { isTaskPath, loadTask, resolveTaskFile } from './task-loader.js';
import { YamlSource, type IssueAt } from './yaml-source.js';

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

  const joints = [...new Set(task.state.filter((s) => s.quantity === 'position').map((s) => s.joint))];
  const unknownJoints = Object.keys(config.control.joint_offsets).filter((name) => !joints.includes(name));
  if (unknownJoints.length > 0)
    throw source.error(
      unknownJoints.map((name) => ({
        path: ['control', 'joint_offsets', name],
        atKey: true,
        message: `unknown joint ${JSON.stringify(name)} (task "${task.name}" reads positions of: ${joints.join(', ')})`,
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

  // Checked here, not where the planner starts (after the log is open), and reported at this
  // file's line rather than in the profiles file.
  if (config.controller.type === 'pets') {
    const problem = plannerProfileProblem(task.name, config.controller.profile);
    if (problem) throw source.error([{ path: ['controller', 'profile'], message: problem }]);
  }

  const drivers = config.drivers.map((d) =>
    d.type === 'serial' || d.type === 'mqtt'
      ? {
          ...d,
          device: path.resolve(baseDir, d.device),
          calibration: d.calibration
            ? path.resolve(baseDir, d.calibration)
            : path.join(calibrationDir(), `${config.robot}.yaml`),
        }
      : d,
  );
  // A missing device or calibration file is this file's mistake: say which driver names it.
  const missingFiles: IssueAt[] = [];
  for (const [i, d] of drivers.entries()) {
    if (d.type !== 'serial' && d.type !== 'mqtt') continue;
    if (!existsSync(d.device))
      missingFiles.push({ path: ['drivers', i, 'device'], message: `no such device file: ${d.device}` });
    if (existsSync(d.calibration)) continue;
    const given = config.drivers[i];
    missingFiles.push(
      'calibration' in given && given.calibration
        ? { path: ['drivers', i, 'calibration'], message: `no such calibration file: ${d.calibration}` }
        : {
            path: ['drivers', i],
            message: `no calibration given and the default for robot "${config.robot}", ${d.calibration}, does not exist (set calibration:)`,
          },
    );
  }
  if (missingFiles.length > 0) throw source.error(missingFiles);

  return { ...config, task: isTaskPath(config.task) ? ref.file : config.task, drivers };
}

/**
 * Why planner profile `profile` of `task` cannot be loaded, or undefined. Looks where
 * loadPlannerProfile (src/planning/planner-profile.ts) does, which config cannot import (it is
 * an outer layer); the profile with the config's overrides is validated when the run starts.
 */
function plannerProfileProblem(task: string, profile: string): string | undefined {
  const file = path.join(hardwareDir(), 'planners', `${task}.yaml`);
  if (!existsSync(file)) return `no planner profiles for task "${task}" (expected ${file})`;
  const data = YamlSource.read(file).data;
  const profiles = isRecord(data) && isRecord(data.profiles) ? Object.keys(data.profiles) : [];
  if (profiles.includes(profile)) return undefined;
  return `no profile "${profile}" for task "${task}" in ${file} (profiles: ${profiles.join(', ') || 'none'})`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
