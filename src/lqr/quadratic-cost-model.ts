/**
 * Where LQR-FLM's quadratic cost comes from. The tasks' costs are black-box functions of the
 * next state and the action, expanded by finite differences (FiniteDifferenceCost); an
 * analytic cost with exact derivatives can implement the same interface.
 */
import type { QuadraticCost } from './quadratic-cost.js';
import type { Trajectory } from './trajectory.js';

export interface QuadraticCostModel {
  /**
   * A quadratic model of the step costs c(x_{t+1}, u_t, u_{t-1}) along the trajectories, in
   * next-state form: z_t = [x_{t+1}; u_t], absolute coordinates, Hessians symmetric positive
   * semidefinite (LQR needs a convex local cost). One model for all trajectories (e.g. the
   * average of per-sample expansions, as the GPS code does).
   */
  expand(trajectories: readonly Trajectory[]): QuadraticCost;
}
