// Public surface of the config layer: schemas, loaders and the error they all throw.
export type { ConfigIssue } from './config-error.js';
export { ConfigError, formatPath } from './config-error.js';
export { parseYamlConfig, loadYamlConfig } from './yaml-loader.js';
export type { IssueAt } from './yaml-source.js';
export { YamlSource } from './yaml-source.js';
export { packageRoot, hardwareDir, findPackageRoot } from './package-paths.js';
export type { LoadedTask, TaskLookupOptions } from './task-loader.js';
export { listTaskNames, loadTask, isTaskPath, resolveTaskFile } from './task-loader.js';
export * from './task-schema.js';
export * from './robot-schema.js';
export type { RobotLoadOptions } from './robot-loader.js';
export { loadRobotConfig } from './robot-loader.js';
