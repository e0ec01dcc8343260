/**
 * Finds and loads task definitions: by name from hardware/tasks/<name>.yaml, or by path.
 * The MJCF model a task names must exist, so a typo fails at load time, not in the simulator.
 */
import type { Stats } from 'node:fs';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './config-error.js';
import { hardwareDir } from './package-paths.js';
import type { Task } from './task-schema.js';
import { TaskSchema } from './task-schema.js';
import type { IssueAt } from './yaml-source.js';
import { YamlSource } from './yaml-source.js';

export interface LoadedTask {
  task: Task;
  /** Absolute path of the task YAML file. */
  file: string;
  /** Absolute path of the MJCF model (task.mjcf resolved against the task file's directory). */
  mjcfPath: string;
}

export interface TaskLookupOptions {
  /** Where named tasks live; default <package>/hardware/tasks. */
  tasksDir?: string;
  /** Directory relative task paths are resolved against; default the working directory. */
  baseDir?: string;
}

const TASK_EXT = '.yaml';

function defaultTasksDir(): string {
  return path.join(hardwareDir(), 'tasks');
}

/** Names of the tasks in `tasksDir` (files <name>.yaml), sorted; none if the directory is missing. */
export function listTaskNames(tasksDir: string = defaultTasksDir()): string[] {
  let entries;
  try {
    entries = readdirSync(tasksDir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && e.name.endsWith(TASK_EXT))
    .map((e) => e.name.slice(0, -TASK_EXT.length))
    .sort();
}

/** A reference ending in .yaml/.yml or containing a path separator is a file path, else a name. */
export function isTaskPath(ref: string): boolean {
  return /\.ya?ml$/i.test(ref) || ref.includes('/') || ref.includes(path.sep);
}

/**
 * The file a task reference points to, and a problem description when there is no such task
 * (so callers can report it against their own config field).
 */
export function resolveTaskFile(
  ref: string,
  options: TaskLookupOptions = {},
): { file: string; problem?: string } {
  const tasksDir = path.resolve(options.tasksDir ?? defaultTasksDir());
  if (isTaskPath(ref)) {
    const file = path.resolve(options.baseDir ?? process.cwd(), ref);
    return statOrUndefined(file)?.isFile() ? { file } : { file, problem: `task file not found: ${file}` };
  }
  const file = path.join(tasksDir, `${ref}${TASK_EXT}`);
  const names = listTaskNames(tasksDir);
  if (names.includes(ref)) return { file };
  const available = names.length > 0 ? `available tasks: ${names.join(', ')}` : 'no tasks are defined';
  return { file, problem: `unknown task ${JSON.stringify(ref)} (${available}; in ${tasksDir})` };
}

/** Loads and validates a task by name or path; throws ConfigError on any problem. */
export function loadTask(nameOrPath: string, options: TaskLookupOptions = {}): LoadedTask {
  const { file, problem } = resolveTaskFile(nameOrPath, options);
  if (problem) throw new ConfigError(file, [{ path: [], message: problem }]);
  const source = YamlSource.read(file);
  const task = source.validate(TaskSchema);
  const issues: IssueAt[] = [];

  // A task in the tasks directory is looked up by its file name, so the two must agree.
  const tasksDir = path.resolve(options.tasksDir ?? defaultTasksDir());
  const stem = path.basename(file).replace(/\.ya?ml$/i, '');
  if (path.dirname(file) === tasksDir && task.name !== stem)
    issues.push({
      path: ['name'],
      message: `expected ${JSON.stringify(stem)} (the file name), received ${JSON.stringify(task.name)}`,
    });

  const mjcfPath = path.resolve(path.dirname(file), task.mjcf);
  const mjcf = statOrUndefined(mjcfPath);
  if (!mjcf?.isFile())
    issues.push({
      path: ['mjcf'],
      message: `MJCF file ${mjcf ? 'is not a file' : 'not found'}: ${mjcfPath} (resolved relative to the task file)`,
    });

  if (issues.length > 0) throw source.error(issues);
  return { task, file, mjcfPath };
}

/** stat that treats every failure (missing, ENOTDIR, EACCES) as "not there". */
function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}
