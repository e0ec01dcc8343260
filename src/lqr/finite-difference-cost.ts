/**
 * Quadratic expansion of a black-box step cost c(x_{t+1}, u_t, u_{t-1}) by central finite
 * differences in w = [x_{t+1}; u_t] around every sample, averaged over samples in absolute
 * coordinates (the GPS code's `_eval_cost`: each sample's Taylor model is re-centred at the
 * origin, then the polynomials are averaged).
 *
 * Step sizes (w_i scaled: h_i = h max(1, |w_i|)): the gradient uses
 * (c(w + h e_i) - c(w - h e_i)) / 2h with h = 6e-6 ~ cbrt(machine epsilon), balancing the
 * O(h^2) truncation against the O(eps |c| / h) round-off; the Hessian uses the second
 * differences (c(w+h e_i) - 2c(w) + c(w-h e_i)) / h^2 on the diagonal and the four-point
 * (c(++) - c(+-) - c(-+) + c(--)) / 4 h_i h_j off it, with h = 1.2e-4 ~ eps^(1/4) for the
 * same balance at second order (Nocedal & Wright, Numerical Optimization, sec. 8.1).
 * The Hessian is symmetrised and its eigenvalues raised to at least `minEigenvalue` (the
 * nearest PSD matrix): a non-convex local cost (e.g. through forward kinematics) would make
 * LQR's Q_uu indefinite. u_{t-1} is held at its sampled value: rate terms are expanded in u_t
 * only.
 */
import { Matrix } from '../math/dense.js';
import { clampEigenvalues } from '../math/symmetric-eigen.js';
import type { QuadraticCost } from './quadratic-cost.js';
import { averageCosts } from './quadratic-cost.js';
import type { QuadraticCostModel } from './quadratic-cost-model.js';
import type { Trajectory } from './trajectory.js';

/** The task's step cost: of arriving in `nextState` after `action` (`previousAction` null at t = 0). */
export type StepCostFunction = (
  nextState: ArrayLike<number>,
  action: ArrayLike<number>,
  previousAction: ArrayLike<number> | null,
) => number;

export interface FiniteDifferenceCostOptions {
  stateDim: number;
  actionDim: number;
  cost: StepCostFunction;
  /** Default 6e-6 (see above). */
  gradientStep?: number;
  /** Default 1.2e-4. */
  hessianStep?: number;
  /** Eigenvalue floor of each expanded Hessian; default 0 (PSD). */
  minEigenvalue?: number;
}

/** One local model 0.5 dw^T H dw + g^T dw + value around w0. */
export interface LocalQuadratic {
  value: number;
  gradient: Float64Array;
  hessian: Matrix;
}

export class FiniteDifferenceCost implements QuadraticCostModel {
  readonly stateDim: number;
  readonly actionDim: number;
  private readonly cost: StepCostFunction;
  private readonly gradientStep: number;
  private readonly hessianStep: number;
  private readonly minEigenvalue: number;

  constructor(options: FiniteDifferenceCostOptions) {
    this.stateDim = options.stateDim;
    this.actionDim = options.actionDim;
    this.cost = options.cost;
    this.gradientStep = options.gradientStep ?? 6e-6;
    this.hessianStep = options.hessianStep ?? 1.2e-4;
    this.minEigenvalue = options.minEigenvalue ?? 0;
    if (!(this.gradientStep > 0 && this.hessianStep > 0))
      throw new RangeError(
        `finite-difference steps must be positive, got ${this.gradientStep}, ${this.hessianStep}`,
      );
  }

  expand(trajectories: readonly Trajectory[]): QuadraticCost {
    if (trajectories.length === 0) throw new RangeError('cannot expand the cost along zero trajectories');
    return averageCosts(trajectories.map((trajectory) => this.expandTrajectory(trajectory)));
  }

  /** The absolute-coordinate quadratic of one trajectory's step costs. */
  expandTrajectory(trajectory: Trajectory): QuadraticCost {
    const T = trajectory.actions.length;
    const n = this.stateDim + this.actionDim;
    const C: Matrix[] = [];
    const c: Float64Array[] = [];
    const c0 = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      const w0 = new Float64Array(n);
      w0.set(trajectory.states[t + 1]);
      w0.set(trajectory.actions[t], this.stateDim);
      const previous = t > 0 ? Float64Array.from(trajectory.actions[t - 1]) : null;
      const local = this.expandAt(w0, previous);
      // 0.5 (w - w0)^T H (w - w0) + g^T (w - w0) + v  =  0.5 w^T H w + (g - H w0)^T w + (v - g^T w0 + 0.5 w0^T H w0)
      const Hw0 = local.hessian.mulVec(w0);
      let constant = local.value;
      const lin = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        lin[i] = local.gradient[i] - Hw0[i];
        constant += -local.gradient[i] * w0[i] + 0.5 * w0[i] * Hw0[i];
      }
      C.push(local.hessian);
      c.push(lin);
      c0[t] = constant;
    }
    return { C, c, c0 };
  }

  /** Value, gradient and (PSD-projected) Hessian of the cost at w0 = [x_{t+1}; u_t]. */
  expandAt(w0: Float64Array, previousAction: Float64Array | null): LocalQuadratic {
    const S = this.stateDim;
    const n = w0.length;
    const w = w0.slice();
    const f = () => this.cost(w.subarray(0, S), w.subarray(S), previousAction);
    const value = f();
    const gradient = new Float64Array(n);
    const hessian = new Matrix(n, n);
    const hg = Float64Array.from(w0, (x) => this.gradientStep * Math.max(1, Math.abs(x)));
    const hh = Float64Array.from(w0, (x) => this.hessianStep * Math.max(1, Math.abs(x)));
    const at = (i: number, di: number, j = -1, dj = 0) => {
      w[i] += di;
      if (j >= 0) w[j] += dj;
      const v = f();
      w[i] = w0[i];
      if (j >= 0) w[j] = w0[j];
      return v;
    };
    for (let i = 0; i < n; i++) {
      gradient[i] = (at(i, hg[i]) - at(i, -hg[i])) / (2 * hg[i]);
      hessian.set(i, i, (at(i, hh[i]) - 2 * value + at(i, -hh[i])) / (hh[i] * hh[i]));
      for (let j = 0; j < i; j++) {
        const d =
          (at(i, hh[i], j, hh[j]) -
            at(i, hh[i], j, -hh[j]) -
            at(i, -hh[i], j, hh[j]) +
            at(i, -hh[i], j, -hh[j])) /
          (4 * hh[i] * hh[j]);
        hessian.set(i, j, d);
        hessian.set(j, i, d);
      }
    }
    if (!Number.isFinite(value) || !gradient.every(Number.isFinite) || !hessian.isFinite())
      throw new RangeError(`cost is not finite near [${Array.from(w0, (x) => x.toPrecision(4)).join(', ')}]`);
    return { value, gradient, hessian: clampEigenvalues(hessian, this.minEigenvalue) };
  }
}
