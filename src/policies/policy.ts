/**
 * A policy maps the current state (and time) to an action. MPC plans, linear-Gaussian
 * controllers, teleop and exploration all sit behind this one interface so the controller
 * node, the logger and the experiment loop treat them alike.
 */
export type ActionSource = 'random' | 'mpc' | 'teleop' | 'lqr' | 'reset' | 'safe';

/** What a policy can tell the controller's diagnostics about itself. */
export interface PolicyStatus {
  /** Version of the model it acts with; 0 = none. */
  modelVersion: number;
  /** Age of the plan the last action came from (seconds), if it plans. */
  planAgeSeconds?: number;
  /** Spread of the plan's predicted return over particles, if it plans. */
  uncertainty?: number;
  /** Planner failures so far (failed plans, refused models, a crashed thread), if it plans. */
  plannerErrors?: number;
  /** Plans that took longer than their compute budget, if it plans. */
  plannerOverruns?: number;
}

export interface Policy {
  /** Recorded with every transition (the logger's `source` field). */
  readonly source: ActionSource;
  /** Called at the start of each episode. */
  reset(): void;
  /**
   * Writes the action for `state` at `timeSeconds` into `out` and returns it. Throws
   * PolicyNotReadyError when it cannot act yet (no model, no plan): the controller then
   * sends the safe action without counting a failure.
   */
  act(state: Float64Array, timeSeconds: number, out: Float64Array): Float64Array;
  status?(): PolicyStatus;
}

/** The policy cannot act yet (no model trained, no plan received); not a failure. */
export class PolicyNotReadyError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'PolicyNotReadyError';
  }
}
