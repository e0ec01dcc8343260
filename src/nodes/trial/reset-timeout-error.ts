/**
 * A reset between trials did not finish in time: the PD could not bring the joints within
 * tolerance, or no operator said the robot was ready. The runner has already switched the
 * controller to `stop` (safe action) when this is thrown, so a failed reset never leaves the
 * robot pushed by a controller that is not converging.
 */
import type { ResetOutcome } from './trial-runner.js';

export class ResetTimeoutError extends Error {
  constructor(
    message: string,
    /** Where the reset got to: periods, seconds and the last position and velocity errors. */
    readonly outcome: ResetOutcome,
  ) {
    super(message);
    this.name = 'ResetTimeoutError';
  }
}
