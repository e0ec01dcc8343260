/**
 * Optimizers search over action sequences and know nothing of dynamics, costs or robots
 * (mbrl-lib's split): they see only a box of sequences and an objective that scores a
 * population of them. Sequences are row-major Float32Arrays [horizon][actionDim];
 * a population is [population][horizon][actionDim].
 */

/** The search space: sequences of `horizon` actions of `actionDim` entries within bounds. */
export interface SequenceSpace {
  horizon: number;
  actionDim: number;
  /** Per action entry. */
  low: Float32Array;
  high: Float32Array;
}

/** Scores candidates; lower is better. Non-finite costs count as worst. */
export interface SequenceObjective {
  evaluate(candidates: Float32Array, population: number, costs: Float32Array): void;
}

export interface OptimizeOptions {
  /** performance.now() time after which no new iteration starts (anytime behaviour). */
  deadline?: number;
}

export interface OptimizeResult {
  /** The sequence to execute (length horizon * actionDim); owned by the optimizer until the next call. */
  sequence: Float32Array;
  /** Its cost as scored by the objective (NaN if never scored, e.g. a mean not evaluated). */
  cost: number;
  /** Iterations completed (an iteration = one population scored). */
  iterations: number;
  /** Candidate sequences scored in total. */
  evaluations: number;
}

export interface Optimizer {
  readonly name: string;
  readonly space: SequenceSpace;
  /** The most candidates one objective call can receive; objectives size their buffers by it. */
  readonly maxPopulation: number;
  /** One optimisation from the current warm start. */
  optimize(objective: SequenceObjective, options?: OptimizeOptions): OptimizeResult;
  /**
   * Time moved on by `steps` control steps: shift the warm start left and fill the tail
   * with the initial guess (MPC's receding horizon).
   */
  shift(steps: number): void;
  /** Forget the warm start. */
  reset(): void;
}
