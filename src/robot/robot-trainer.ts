/**
 * The trainer of a PETS robot config: refits the ensemble from the transition log in a worker
 * thread when the data logger asks (refit_request) and announces each accepted model
 * (model_update). Shared by RobotStack and the `trainer` node kind.
 */
import type { RobotConfig } from '../config/robot-schema.js';
import type { LoadedTask } from '../config/task-loader.js';
import { ensembleSpecForTask } from '../models/ensemble-spec-for-task.js';
import { TrainerNode } from '../nodes/trainer/trainer-node.js';
import type { RuntimeNode } from '../runtime/node-api.js';

export interface RobotTrainerOptions {
  config: RobotConfig;
  task: LoadedTask;
  seed: number;
  /** The transition log the refits read. */
  logDir: string;
  modelsDir: string;
  /**
   * Runs before each refit reads the log: in one process, the logger's flush, so the refit sees
   * every transition. Across processes the refit reads what the logger has flushed (at most
   * logger.flush_interval_s old).
   */
  beforeLoad?: () => Promise<unknown>;
}

export function createRobotTrainer(node: RuntimeNode, options: RobotTrainerOptions): TrainerNode {
  const { config, task, seed } = options;
  const model = config.model;
  return new TrainerNode(node, {
    spec: ensembleSpecForTask(task.task, model),
    hyper: {
      epochs: model.epochs,
      batchSize: model.batch_size,
      learningRate: model.learning_rate,
      weightDecay: model.weight_decay,
      patience: 5,
      improvementThreshold: 0.01,
      bootstrap: true,
    },
    elites: model.elites,
    holdoutRatio: model.holdout_ratio,
    seed: seed + 1000,
    modelsDir: options.modelsDir,
    warmStart: true,
    data: { kind: 'log', dir: options.logDir, beforeLoad: options.beforeLoad },
    minTransitions: Math.min(200, config.logger.refit_every_transitions || 200),
  });
}
