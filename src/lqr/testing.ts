/**
 * Linear-quadratic test problems for the LQR code: a random linear system with Gaussian
 * noise, sampling from it under a controller, and an analytic quadratic cost model (the
 * alternative to finite differences that QuadraticCostModel allows).
 */
import { Matrix, dot } from '../math/dense.js';
import type { Rng } from '../math/rng.js';
import { randomMatrix, randomSpd } from '../math/testing.js';
import type { LinearGaussianController } from './linear-gaussian-controller.js';
import type { LinearGaussianDynamics } from './linear-gaussian-dynamics.js';
import type { QuadraticCost } from './quadratic-cost.js';
import type { QuadraticCostModel } from './quadratic-cost-model.js';
import type { Trajectory } from './trajectory.js';

/** x_{t+1} = A x + B u + c + noiseStd * N(0, I). */
export interface LinearSystem {
  A: Matrix;
  B: Matrix;
  c: Float64Array;
  noiseStd: number;
}

/**
 * A random system with A's spectral radius around `radius` (> 1: open-loop unstable) and a
 * random full-rank B: controllable with probability 1, hence stabilizable.
 */
export function randomLinearSystem(
  rng: Rng,
  stateDim: number,
  actionDim: number,
  radius = 1.05,
  noiseStd = 0,
): LinearSystem {
  const A = randomMatrix(rng, stateDim, stateDim, radius / Math.sqrt(stateDim));
  const B = randomMatrix(rng, stateDim, actionDim, 1 / Math.sqrt(stateDim));
  const c = Float64Array.from({ length: stateDim }, () => 0.1 * rng.normal());
  return { A, B, c, noiseStd };
}

/** The exact time-invariant LinearGaussianDynamics of a system from a known x0 distribution. */
export function systemDynamics(
  system: LinearSystem,
  horizon: number,
  x0Mean: ArrayLike<number>,
  x0Variance = 0,
): LinearGaussianDynamics {
  const S = system.A.rows;
  const A = system.B.cols;
  const F = Matrix.zeros(S, S + A)
    .setBlock(0, 0, system.A)
    .setBlock(0, S, system.B);
  const noise = Matrix.identity(S, system.noiseStd ** 2);
  return {
    stateDim: S,
    actionDim: A,
    horizon,
    F: Array(horizon).fill(F),
    f: Array(horizon).fill(system.c),
    noise: Array(horizon).fill(noise),
    x0Mean: Float64Array.from(x0Mean),
    x0Cov: Matrix.identity(S, x0Variance),
  };
}

/** Next-state cost 0.5 (x' - target)^T Q (x' - target) + 0.5 u^T R u, with exact expansion. */
export class QuadraticTestCost implements QuadraticCostModel {
  readonly Q: Matrix;
  readonly R: Matrix;
  readonly target: Float64Array;

  constructor(options: { Q: Matrix; R: Matrix; target?: ArrayLike<number> }) {
    this.Q = options.Q;
    this.R = options.R;
    this.target = Float64Array.from(options.target ?? new Float64Array(options.Q.rows));
  }

  static random(rng: Rng, stateDim: number, actionDim: number): QuadraticTestCost {
    return new QuadraticTestCost({
      Q: randomSpd(rng, stateDim, 0.5),
      R: randomSpd(rng, actionDim, 0.1).scale(0.2),
      target: Float64Array.from({ length: stateDim }, () => rng.normal()),
    });
  }

  evaluate(nextState: ArrayLike<number>, action: ArrayLike<number>): number {
    const d = Float64Array.from(nextState, (v, i) => v - this.target[i]);
    return 0.5 * this.Q.quadForm(d) + 0.5 * this.R.quadForm(action);
  }

  expand(trajectories: readonly Trajectory[]): QuadraticCost {
    const T = trajectories[0].actions.length;
    const S = this.Q.rows;
    const n = S + this.R.rows;
    const H = Matrix.zeros(n, n).setBlock(0, 0, this.Q).setBlock(S, S, this.R);
    const g = new Float64Array(n);
    g.set(this.Q.mulVec(this.target).map((v) => -v));
    const h = 0.5 * dot(this.target, this.Q.mulVec(this.target));
    return { C: Array(T).fill(H), c: Array(T).fill(g), c0: new Float64Array(T).fill(h) };
  }
}

/** `count` trajectories of `horizon` steps of the system under the controller. */
export function sampleSystem(options: {
  system: LinearSystem;
  controller: LinearGaussianController;
  x0: ArrayLike<number>;
  cost: (nextState: Float64Array, action: Float64Array) => number;
  rng: Rng;
  count: number;
}): Trajectory[] {
  const { system, controller, rng } = options;
  const T = controller.horizon;
  return Array.from({ length: options.count }, () => {
    const states: Float64Array[] = [Float64Array.from(options.x0)];
    const actions: Float64Array[] = [];
    const costs = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      const u = controller.sample(states[t], t, rng);
      const next = system.A.mulVec(states[t]);
      const Bu = system.B.mulVec(u);
      for (let i = 0; i < next.length; i++) next[i] += Bu[i] + system.c[i] + system.noiseStd * rng.normal();
      costs[t] = options.cost(next, u);
      actions.push(u);
      states.push(next);
    }
    return { states, actions, costs };
  });
}
