/**
 * One thread's rollout evaluator, by kind: 'host' runs a learned ensemble in the WebAssembly
 * SIMD kernel with the task cost in TypeScript (no per-step tfjs operations, which bound small
 * budgets); 'tensor' runs any DynamicsModel through tfjs with the tensor task cost (the
 * simulator model, and the reference the host path is tested against). Both have the same
 * semantics (PETS trajectory sampling, Chua et al. 2018).
 */
import type { Task } from '../config/task-schema.js';
import type { DynamicsModel } from '../models/dynamics-model.js';
import { EnsembleDynamics } from '../models/ensemble-dynamics.js';
import { TaskCost } from '../tasks/task-cost.js';
import { HostTrajectoryEvaluator } from './host-rollouts/host-trajectory-evaluator.js';
import type { SequenceSpace } from './optimizers/optimizer.js';
import { TensorTaskCost } from './tensor-task-cost.js';
import { TrajectoryEvaluator, type TrajectoryEvaluatorOptions } from './trajectory-evaluator.js';

export const ROLLOUT_KINDS = ['host', 'tensor'] as const;
export type RolloutKind = (typeof ROLLOUT_KINDS)[number];

export interface RolloutEvaluator {
  evaluator: TrajectoryEvaluator | HostTrajectoryEvaluator;
  /** Frees the evaluator and the cost it was built with. */
  dispose(): void;
}

export function createRolloutEvaluator(
  kind: RolloutKind,
  model: DynamicsModel,
  task: Task,
  space: SequenceSpace,
  options: TrajectoryEvaluatorOptions,
  seed: number,
  maxPopulation: number,
): RolloutEvaluator {
  if (kind === 'host') {
    if (!(model instanceof EnsembleDynamics))
      throw new TypeError('host rollouts need a learned ensemble (EnsembleDynamics); use tensor rollouts');
    const evaluator = new HostTrajectoryEvaluator(
      model,
      new TaskCost(task),
      space,
      options,
      seed,
      maxPopulation,
    );
    return { evaluator, dispose: () => evaluator.dispose() };
  }
  const cost = new TensorTaskCost(task);
  const evaluator = new TrajectoryEvaluator(model, cost.evaluate, space, options, seed, maxPopulation);
  return {
    evaluator,
    dispose: () => {
      evaluator.dispose();
      cost.dispose();
    },
  };
}
