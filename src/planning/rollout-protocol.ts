/**
 * What ParallelTrajectoryEvaluator and its rollout workers share: the worker's start-up
 * data, the shared buffers and the layout of the Int32 control word. Kept apart from the
 * worker entry so importing it never starts a worker's main loop.
 */
import type { Task } from '../config/task-schema.js';
import type { EnsembleTransfer } from '../models/ensemble-dynamics.js';
import type { BackendPreference } from '../models/tf-backend.js';
import type { SequenceSpace } from './optimizers/optimizer.js';
import type { RolloutKind } from './rollout-evaluator.js';
import type { TrajectoryEvaluatorOptions } from './trajectory-evaluator.js';

export interface RolloutWorkerData {
  index: number;
  parts: number;
  task: Task;
  model: EnsembleTransfer;
  space: SequenceSpace;
  options: TrajectoryEvaluatorOptions;
  seed: number;
  maxPopulation: number;
  rollouts: RolloutKind;
  backend: BackendPreference;
  shared: RolloutShared;
}

/** Shared buffers between the evaluator and its helpers. */
export interface RolloutShared {
  control: SharedArrayBuffer;
  candidates: SharedArrayBuffer;
  state: SharedArrayBuffer;
  previous: SharedArrayBuffer;
  costs: SharedArrayBuffer;
  mean: SharedArrayBuffer;
  std: SharedArrayBuffer;
  error: SharedArrayBuffer;
}

/** Indices into the Int32 control word. */
export const CTRL = {
  generation: 0,
  done: 1,
  population: 2,
  hasPrevious: 3,
  member: 4,
  seed: 5,
  job: 6,
  failed: 7,
  ready: 8,
} as const;
export const CTRL_SIZE = 9;
export const JOB = { evaluate: 1, reload: 2, stop: 3 } as const;

/** The slice [start, end) of a population of n that part `index` of `parts` scores. */
export function slice(n: number, index: number, parts: number): [number, number] {
  return [Math.floor((index * n) / parts), Math.floor(((index + 1) * n) / parts)];
}
