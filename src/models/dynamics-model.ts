/**
 * What a planner needs from a learned model, and nothing about how it was learned
 * (mbrl-lib's split): batched next-state prediction under a propagation scheme.
 */
import type * as tf from '@tensorflow/tfjs';

/**
 * Particle propagation through an ensemble (Chua et al. 2018, sec. 5):
 * 'ts1' re-draws each particle's member every step, 'tsinf' fixes it for the whole
 * trajectory (row blocks map to members), 'expectation' averages the members' means.
 */
export type Propagation = 'ts1' | 'tsinf' | 'expectation';
export const PROPAGATIONS: readonly Propagation[] = ['ts1', 'tsinf', 'expectation'];

export interface StepOptions {
  propagation: Propagation;
  /** Sample from the predicted Gaussian (aleatoric noise) instead of returning its mean. */
  sample: boolean;
  /** Seed for member re-draws and noise; the same seed gives the same result. */
  seed: number;
  /**
   * Send every row through this one elite (index into the elites), as posterior sampling
   * does for a whole plan; overrides `propagation`.
   */
  member?: number;
}

export interface DynamicsModel {
  readonly stateDim: number;
  readonly actionDim: number;
  /** How many distinct members `StepOptions.member` may name (1 for a single model). */
  readonly eliteCount: number;
  /** Next states [B, S] for states [B, S] and actions [B, A]. The caller disposes the result. */
  step(states: tf.Tensor2D, actions: tf.Tensor2D, options: StepOptions): tf.Tensor2D;
  dispose(): void;
}
