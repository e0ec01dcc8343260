/**
 * Time-varying linear-Gaussian dynamics, the local model LQR-FLM plans with (Levine & Abbeel
 * 2014, sec. 3.1): x_{t+1} ~ N(F_t [x_t; u_t] + f_t, noise_t) for t = 0 .. T-1, and the
 * initial state x_0 ~ N(x0Mean, x0Cov).
 */
import type { Matrix } from '../math/dense.js';

export interface LinearGaussianDynamics {
  readonly stateDim: number;
  readonly actionDim: number;
  /** T: the number of transitions. */
  readonly horizon: number;
  /** F_t, stateDim x (stateDim + actionDim). */
  readonly F: readonly Matrix[];
  /** f_t, length stateDim. */
  readonly f: readonly Float64Array[];
  /** Covariance of x_{t+1} given (x_t, u_t), stateDim x stateDim. */
  readonly noise: readonly Matrix[];
  readonly x0Mean: Float64Array;
  readonly x0Cov: Matrix;
}

/** Throws a RangeError naming the field and step on any shape mismatch. */
export function checkDynamics(d: LinearGaussianDynamics): void {
  const { stateDim: s, actionDim: a, horizon: T } = d;
  const fail = (message: string) => new RangeError(`linear dynamics (S=${s}, A=${a}, T=${T}): ${message}`);
  for (const [name, list] of [
    ['F', d.F],
    ['f', d.f],
    ['noise', d.noise],
  ] as const)
    if (list.length !== T) throw fail(`${name} has ${list.length} steps`);
  d.F.forEach((F, t) => {
    if (F.rows !== s || F.cols !== s + a) throw fail(`F[${t}] is ${F.shape}, expected ${s}x${s + a}`);
  });
  d.f.forEach((f, t) => {
    if (f.length !== s) throw fail(`f[${t}] has ${f.length} entries`);
  });
  d.noise.forEach((n, t) => {
    if (n.rows !== s || n.cols !== s) throw fail(`noise[${t}] is ${n.shape}`);
  });
  if (d.x0Mean.length !== s) throw fail(`x0Mean has ${d.x0Mean.length} entries`);
  if (d.x0Cov.rows !== s || d.x0Cov.cols !== s) throw fail(`x0Cov is ${d.x0Cov.shape}`);
}
