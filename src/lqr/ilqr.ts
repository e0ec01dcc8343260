/**
 * Iterative LQR around a nominal trajectory with a known model (Li & Todorov 2004; Tassa et
 * al. 2012 sec. II, with their Levenberg-Marquardt regularisation of Q_uu and the backtracking
 * line search on the feed-forward term). For tests and for initialising controllers from a
 * simple model; LQR-FLM itself never sees a model. Each iteration linearises the model at
 * the nominal (x^_t, u^_t) (Jacobian by central differences unless the model supplies it),
 * expands the cost with the given QuadraticCostModel along the nominal trajectory, solves
 * the LQR problem in absolute coordinates and rolls out
 *   u_t = u^_t + alpha (K_t x^_t + k_t - u^_t) + K_t (x_t - x^_t),
 * accepting the first alpha in 1, 1/2, ... that lowers the true total cost.
 */
import { Matrix } from '../math/dense.js';
import { FiniteDifferenceCost, type StepCostFunction } from './finite-difference-cost.js';
import { LinearGaussianController } from './linear-gaussian-controller.js';
import { lqrBackward } from './lqr-backward.js';
import { foldNextStateCost } from './quadratic-cost.js';
import type { QuadraticCostModel } from './quadratic-cost-model.js';
import type { Trajectory } from './trajectory.js';

export interface DifferentiableModel {
  readonly stateDim: number;
  readonly actionDim: number;
  /** x_{t+1} for (x_t, u_t). */
  step(x: Float64Array, u: Float64Array): Float64Array;
  /** d x_{t+1} / d [x_t; u_t], stateDim x (stateDim + actionDim); default central differences. */
  jacobian?(x: Float64Array, u: Float64Array): Matrix;
}

export interface IlqrOptions {
  model: DifferentiableModel;
  /** True step cost c(x_{t+1}, u_t, u_{t-1}). */
  cost: StepCostFunction;
  /** Its quadratic expansion; default finite differences of `cost`. */
  expansion?: QuadraticCostModel;
  x0: ArrayLike<number>;
  /** Nominal actions to start from (the horizon is their count). */
  initialActions: readonly ArrayLike<number>[];
  /** Default 50. */
  maxIterations?: number;
  /** Stop when the relative cost improvement is below this; default 1e-8. */
  tolerance?: number;
  /** Sigma_t = variance I of the returned controller; default 1e-6. */
  variance?: number;
}

export interface IlqrResult {
  trajectory: Trajectory;
  totalCost: number;
  /** Feedback controller around the final nominal trajectory. */
  controller: LinearGaussianController;
  iterations: number;
  /** Total cost after each accepted iteration (first entry: the initial rollout). */
  costHistory: number[];
}

export function ilqr(options: IlqrOptions): IlqrResult {
  const { model, cost } = options;
  const S = model.stateDim;
  const A = model.actionDim;
  const T = options.initialActions.length;
  if (T < 1) throw new RangeError('iLQR: at least one initial action is required');
  const expansion = options.expansion ?? new FiniteDifferenceCost({ stateDim: S, actionDim: A, cost });
  const tolerance = options.tolerance ?? 1e-8;
  const jacobian =
    model.jacobian?.bind(model) ?? ((x: Float64Array, u: Float64Array) => numericJacobian(model, x, u));

  const rollout = (
    policy: (x: Float64Array, t: number) => Float64Array,
  ): { trajectory: Trajectory; total: number } => {
    const states: Float64Array[] = [Float64Array.from(options.x0)];
    const actions: Float64Array[] = [];
    const costs = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      const u = policy(states[t], t);
      const next = model.step(states[t], u);
      costs[t] = cost(next, u, t > 0 ? actions[t - 1] : null);
      actions.push(u);
      states.push(next);
    }
    const total = costs.reduce((a, b) => a + b, 0);
    return { trajectory: { states, actions, costs }, total: Number.isFinite(total) ? total : Infinity };
  };

  let nominal = rollout((_x, t) => Float64Array.from(options.initialActions[t]));
  const history = [nominal.total];
  let gains: { K: Matrix[]; k: Float64Array[] } | null = null;
  let mu = 0;
  let iterations = 0;
  for (; iterations < (options.maxIterations ?? 50); iterations++) {
    const xs = nominal.trajectory.states as Float64Array[];
    const us = nominal.trajectory.actions as Float64Array[];
    const F = us.map((u, t) => jacobian(xs[t], u));
    const f = F.map((Ft, t) => {
      const z = new Float64Array(S + A);
      z.set(xs[t]);
      z.set(us[t], S);
      const Fz = Ft.mulVec(z);
      return Float64Array.from(xs[t + 1], (v, i) => v - Fz[i]);
    });
    const dynamics = {
      stateDim: S,
      actionDim: A,
      horizon: T,
      F,
      f,
      noise: F.map(() => Matrix.zeros(S, S)),
      x0Mean: xs[0],
      x0Cov: Matrix.zeros(S, S),
    };
    const folded = foldNextStateCost(expansion.expand([nominal.trajectory]), dynamics);
    const solution = lqrBackward({ dynamics, cost: folded, regularization: mu });
    if (!solution.ok) {
      mu = Math.max(1e-6, mu * 10);
      if (mu > 1e10) break;
      continue;
    }
    const feedForward = solution.K.map((K, t) => {
      const Kx = K.mulVec(xs[t]);
      return Float64Array.from(us[t], (u, i) => Kx[i] + solution.k[t][i] - u);
    });
    let accepted: typeof nominal | null = null;
    for (let alpha = 1; alpha > 1e-4 && accepted === null; alpha /= 2) {
      const candidate = rollout((x, t) => {
        const dx = Float64Array.from(x, (v, i) => v - xs[t][i]);
        const Kdx = solution.K[t].mulVec(dx);
        return Float64Array.from(us[t], (u, i) => u + alpha * feedForward[t][i] + Kdx[i]);
      });
      if (candidate.total < nominal.total) accepted = candidate;
    }
    if (accepted === null) {
      mu = Math.max(1e-6, mu * 10);
      if (mu > 1e10) break;
      continue;
    }
    const improvement = (nominal.total - accepted.total) / Math.max(Math.abs(nominal.total), 1e-300);
    nominal = accepted;
    gains = { K: solution.K, k: solution.k };
    history.push(nominal.total);
    mu = mu > 1e-6 ? mu / 10 : 0;
    if (improvement < tolerance) {
      iterations++;
      break;
    }
  }
  const xs = nominal.trajectory.states as Float64Array[];
  const us = nominal.trajectory.actions as Float64Array[];
  const controller = LinearGaussianController.fromGains({
    K: gains?.K ?? us.map(() => Matrix.zeros(A, S)),
    k: us.map(() => new Float64Array(A)),
    xHat: xs.slice(0, T),
    uHat: us,
    variance: options.variance ?? 1e-6,
  });
  return {
    trajectory: nominal.trajectory,
    totalCost: nominal.total,
    controller,
    iterations,
    costHistory: history,
  };
}

/** d step / d [x; u] by central differences, step 1e-6 scaled by the magnitude. */
export function numericJacobian(model: DifferentiableModel, x: Float64Array, u: Float64Array): Matrix {
  const S = model.stateDim;
  const A = model.actionDim;
  const J = new Matrix(S, S + A);
  const z = new Float64Array(S + A);
  z.set(x);
  z.set(u, S);
  for (let j = 0; j < S + A; j++) {
    const h = 1e-6 * Math.max(1, Math.abs(z[j]));
    const plus = z.slice();
    const minus = z.slice();
    plus[j] += h;
    minus[j] -= h;
    const fp = model.step(plus.subarray(0, S), plus.subarray(S));
    const fm = model.step(minus.subarray(0, S), minus.subarray(S));
    for (let i = 0; i < S; i++) J.set(i, j, (fp[i] - fm[i]) / (2 * h));
  }
  return J;
}
