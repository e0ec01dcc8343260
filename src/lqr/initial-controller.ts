/**
 * Initial controllers for LQR-FLM, configured from a guess rather than learned: a PD
 * controller to a target pose (GPS `init_pd`), or LQR on a time-invariant linear model
 * (GPS `init_lqr` uses a double integrator). Both get Sigma_t = variance I, the exploration
 * noise of the first samples (GPS `init_var`).
 */
import { Matrix } from '../math/dense.js';
import { LinearGaussianController } from './linear-gaussian-controller.js';
import { lqrBackward } from './lqr-backward.js';

export interface InitialPdOptions {
  stateDim: number;
  horizon: number;
  /** State index of the position each action drives (one per action). */
  positionIndices: readonly number[];
  /** State index of the matching velocity. */
  velocityIndices: readonly number[];
  /** Proportional gain(s), per action or one for all. */
  kp: number | readonly number[];
  /** Derivative gain(s). */
  kd: number | readonly number[];
  /** Target position per action. */
  targetPose: readonly number[];
  /** Sigma_t = variance I. */
  variance: number;
  /** Constant feed-forward action; default 0. */
  bias?: readonly number[];
}

/** u_i = kp_i (target_i - x[pos_i]) - kd_i x[vel_i] + bias_i, as K (x - x^) + u^. */
export function initialPd(options: InitialPdOptions): LinearGaussianController {
  const A = options.positionIndices.length;
  const S = options.stateDim;
  if (options.velocityIndices.length !== A || options.targetPose.length !== A)
    throw new RangeError(
      `initial PD: ${A} position indices, ${options.velocityIndices.length} velocity indices, ${options.targetPose.length} targets`,
    );
  const gain = (g: number | readonly number[], name: string) => {
    const v = typeof g === 'number' ? Array<number>(A).fill(g) : g;
    if (v.length !== A) throw new RangeError(`initial PD: ${name} has ${v.length} entries for ${A} actions`);
    return v;
  };
  const kp = gain(options.kp, 'kp');
  const kd = gain(options.kd, 'kd');
  const K = new Matrix(A, S);
  const xHat = new Float64Array(S);
  for (let i = 0; i < A; i++) {
    const p = options.positionIndices[i];
    const v = options.velocityIndices[i];
    if (!(p >= 0 && p < S && v >= 0 && v < S))
      throw new RangeError(`initial PD: action ${i} indexes state ${p}/${v} of ${S}`);
    K.set(i, p, K.get(i, p) - kp[i]);
    K.set(i, v, K.get(i, v) - kd[i]);
    xHat[p] = options.targetPose[i];
  }
  const uHat = Float64Array.from(options.bias ?? Array<number>(A).fill(0));
  return LinearGaussianController.fromGains({
    K: Array.from({ length: options.horizon }, () => K),
    k: Array.from({ length: options.horizon }, () => new Float64Array(A)),
    xHat: Array.from({ length: options.horizon }, () => xHat),
    uHat: Array.from({ length: options.horizon }, () => uHat),
    variance: options.variance,
  });
}

export interface InitialLqrOptions {
  /** x_{t+1} = A x_t + B u_t + c (c default 0). */
  A: Matrix;
  B: Matrix;
  c?: ArrayLike<number>;
  /** Cost sum_t 0.5 (x_t - target)^T Q (x_t - target) + 0.5 u_t^T R u_t over the horizon. */
  Q: Matrix;
  R: Matrix;
  target: ArrayLike<number>;
  horizon: number;
  variance: number;
}

/** Finite-horizon LQR gains on the linear model, as an initial controller. */
export function initialLqr(options: InitialLqrOptions): LinearGaussianController {
  const { A, B, Q, R, horizon: T } = options;
  const S = A.rows;
  const U = B.cols;
  if (A.cols !== S || B.rows !== S || Q.rows !== S || Q.cols !== S || R.rows !== U || R.cols !== U)
    throw new RangeError(
      `initial LQR: inconsistent shapes A ${A.shape}, B ${B.shape}, Q ${Q.shape}, R ${R.shape}`,
    );
  const F = Matrix.zeros(S, S + U)
    .setBlock(0, 0, A)
    .setBlock(0, S, B);
  const f = Float64Array.from({ length: S }, (_, i) => options.c?.[i] ?? 0);
  const C = Matrix.zeros(S + U, S + U)
    .setBlock(0, 0, Q)
    .setBlock(S, S, R)
    .symmetrize();
  const Qtarget = Q.mulVec(options.target);
  const cVec = new Float64Array(S + U);
  for (let i = 0; i < S; i++) cVec[i] = -Qtarget[i];
  const solution = lqrBackward({
    dynamics: { stateDim: S, actionDim: U, horizon: T, F: Array(T).fill(F), f: Array(T).fill(f) },
    cost: { C: Array(T).fill(C), c: Array(T).fill(cVec), c0: new Float64Array(T) },
  });
  if (!solution.ok)
    throw new RangeError(`initial LQR: R + B^T V B is not positive definite at step ${solution.failedStep}`);
  return LinearGaussianController.fromGains({ K: solution.K, k: solution.k, variance: options.variance });
}
