/**
 * A policy maps the current state (and time) to an action. MPC plans, linear-Gaussian
 * controllers, teleop and exploration all sit behind this one interface so the controller
 * node, the logger and the experiment loop treat them alike.
 */
export type ActionSource = 'random' | 'mpc' | 'teleop' | 'lqr' | 'safe';

export interface Policy {
  /** Recorded with every transition (the logger's `source` field). */
  readonly source: ActionSource;
  /** Called at the start of each episode. */
  reset(): void;
  /** Writes the action for `state` at `timeSeconds` into `out` and returns it. */
  act(state: Float64Array, timeSeconds: number, out: Float64Array): Float64Array;
}
