/**
 * Model predictive control's planning step: from the current state, optimise an action
 * sequence against the model and task cost, and keep the result as the warm start for the
 * next call (shifted by the control steps that elapsed). The planner binds a model, a cost
 * and an optimizer; none of them knows the others (mbrl-lib's split).
 */
import type { DynamicsModel } from '../models/dynamics-model.js';
import type { Optimizer } from './optimizers/optimizer.js';
import {
  TrajectoryEvaluator,
  type RolloutObjective,
  type TrajectoryEvaluatorOptions,
} from './trajectory-evaluator.js';
import type { TensorCostFunction } from './tensor-task-cost.js';

export interface Plan {
  /** Time of the state this plan starts from (seconds, node clock). */
  stamp: number;
  /** Control period the sequence is laid out in. */
  dt: number;
  /** horizon x actionDim, row-major. */
  actions: Float32Array;
  horizon: number;
  actionDim: number;
  /** Predicted return (-cost) of the executed sequence, mean over particles. */
  predictedReturn: number;
  /** Std of that return over particles: the model's uncertainty about this plan. */
  returnStd: number;
  iterations: number;
  evaluations: number;
  computeMs: number;
  /** Version of the model it was planned with (for the logger and diagnostics). */
  modelVersion: number;
}

export interface MpcPlannerOptions {
  model: DynamicsModel;
  modelVersion?: number;
  /** The tensor cost of the default TrajectoryEvaluator (unused when `rollouts` is given). */
  cost?: TensorCostFunction;
  optimizer: Optimizer;
  evaluator: TrajectoryEvaluatorOptions;
  dt: number;
  seed: number;
  /**
   * A prebuilt objective (e.g. a HostTrajectoryEvaluator, or a ParallelTrajectoryEvaluator
   * over several cores; see buildMpcPlanner); by default a single-thread TrajectoryEvaluator
   * over `model` and `cost`.
   */
  rollouts?: RolloutObjective;
  /** Frees what was built for this planner besides `rollouts` (called by dispose()). */
  release?: () => void;
}

export class MpcPlanner {
  private readonly evaluator: RolloutObjective;
  private readonly optimizer: Optimizer;
  private readonly single: Float32Array;
  private lastStamp: number | null = null;
  private modelVersion: number;

  constructor(private readonly options: MpcPlannerOptions) {
    if (!(options.dt > 0)) throw new RangeError(`dt must be positive, got ${options.dt}`);
    this.optimizer = options.optimizer;
    if (!options.rollouts && !options.cost)
      throw new TypeError('an MpcPlanner needs a cost or prebuilt rollouts');
    this.evaluator =
      options.rollouts ??
      new TrajectoryEvaluator(
        options.model,
        options.cost as TensorCostFunction,
        options.optimizer.space,
        options.evaluator,
        options.seed,
        options.optimizer.maxPopulation,
      );
    this.single = new Float32Array(1);
    this.modelVersion = options.modelVersion ?? 0;
  }

  /** The objective that scores candidates (host, tensor or multi-thread rollouts). */
  get rollouts(): RolloutObjective {
    return this.evaluator;
  }

  /** Model row-steps simulated so far (for throughput figures). */
  get modelRowSteps(): number {
    return this.evaluator.modelRowSteps;
  }

  /** Swaps the model between plans; the warm start is kept (the task is the same). */
  setModel(model: DynamicsModel, version: number): void {
    this.evaluator.setModel(model);
    this.modelVersion = version;
  }

  /** Frees the rollouts (and helper threads, kernel memory) this planner holds. */
  dispose(): void {
    this.evaluator.dispose();
    this.options.release?.();
  }

  /** Forget the warm start (new episode, or after a long pause). */
  reset(): void {
    this.optimizer.reset();
    this.lastStamp = null;
  }

  plan(
    state: ArrayLike<number>,
    stamp: number,
    options: { deadline?: number; previousAction?: ArrayLike<number> | null } = {},
  ): Plan {
    const started = performance.now();
    if (this.lastStamp !== null) {
      const elapsed = Math.round((stamp - this.lastStamp) / this.options.dt);
      if (elapsed > 0) this.optimizer.shift(elapsed);
      else if (elapsed < 0) this.optimizer.reset();
    }
    this.lastStamp = stamp;
    this.evaluator.setStart(state, options.previousAction ?? null);
    const result = this.optimizer.optimize(this.evaluator, { deadline: options.deadline });
    // Optimizers that execute the best candidate (iCEM, random shooting) scored it already;
    // a mean (CEM, MPPI) was never scored, so score it once for the plan's figures.
    let mean: number;
    let std: number;
    let extra = 0;
    const best = this.evaluator.bestSeen;
    if (Number.isFinite(result.cost) && result.cost === best.cost) {
      mean = best.mean;
      std = best.std;
    } else {
      this.evaluator.evaluate(result.sequence, 1, this.single);
      mean = this.evaluator.stats.mean[0];
      std = this.evaluator.stats.std[0];
      extra = 1;
    }
    const { horizon, actionDim } = this.optimizer.space;
    return {
      stamp,
      dt: this.options.dt,
      actions: Float32Array.from(result.sequence.subarray(0, horizon * actionDim)),
      horizon,
      actionDim,
      predictedReturn: -mean,
      returnStd: std,
      iterations: result.iterations,
      evaluations: result.evaluations + extra,
      computeMs: performance.now() - started,
      modelVersion: this.modelVersion,
    };
  }
}
