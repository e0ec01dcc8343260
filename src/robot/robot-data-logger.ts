/**
 * The transition log and data logger of a robot config, shared by RobotStack and the
 * `data_logger` node kind: the MCAP writer (flush interval, rotation, queue bound while the disk
 * fails) and the logger node (refit requests for PETS; repeats of a state held back long enough
 * to see whether the controller then finds it stale or frozen, so they are never logged fresh).
 */
import type { RobotConfig } from '../config/robot-schema.js';
import type { LoadedTask } from '../config/task-loader.js';
import { TransitionLogWriter } from '../datalog/transition-log-writer.js';
import { DataLoggerNode } from '../nodes/data-logger/data-logger-node.js';
import type { RuntimeNode } from '../runtime/node-api.js';

export function openRobotLogWriter(
  config: RobotConfig,
  task: LoadedTask,
  logDir: string,
): Promise<TransitionLogWriter> {
  const t = task.task;
  return TransitionLogWriter.open({
    dir: logDir,
    task: { name: t.name, stateNames: t.state.map((s) => s.name), actionNames: t.action.map((a) => a.name) },
    flushIntervalS: config.logger.flush_interval_s,
    rotateBytes: config.logger.rotate_bytes,
    maxQueuedRecords: config.logger.max_queued_records,
  });
}

export function createRobotDataLogger(
  node: RuntimeNode,
  config: RobotConfig,
  task: LoadedTask,
  writer: TransitionLogWriter,
  learns: boolean,
): DataLoggerNode {
  const { control } = config;
  return new DataLoggerNode(node, {
    task: task.task,
    sink: writer,
    refitEveryTransitions: learns ? config.logger.refit_every_transitions : 0,
    refitEverySeconds: learns ? config.logger.refit_every_s : 0,
    // A period past the controller's stale and frozen timeouts.
    holdRepeatsSeconds: Math.max(control.stale_timeout_s, control.frozen_timeout_s) + 2 / control.rate_hz,
  });
}
