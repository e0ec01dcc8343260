/**
 * Per-time-step linear-Gaussian dynamics from sampled trajectories (Levine & Abbeel 2014,
 * sec. 3.1; the GPS code's `DynamicsLRPrior.fit` and `gauss_fit_joint_prior`): at each step t
 * a joint Gaussian over y = [x_t; u_t; x_{t+1}] is estimated from the N samples, as the MAP
 * estimate under a normal-inverse-Wishart prior (mu0, Phi, m, n0):
 *   Sigma = (N S_emp + Phi + N m / (N + m) (mu_emp - mu0)(mu_emp - mu0)^T) / (N + n0),
 * and conditioned on (x_t, u_t):
 *   F_t = Sigma_{x'z} Sigma_zz^{-1},  f_t = mu_x' - F_t mu_z,  noise_t = Sigma_x'x' - F_t Sigma_zz F_t^T.
 * With few samples (5 per condition, fewer than the 2S + A = 10 dimensions of y) S_emp is
 * rank-deficient; the prior fills the missing directions and `regularization` (added to
 * Sigma_zz, GPS's 1e-6) keeps the solve well-posed. Without a prior it is ridge regression
 * with that regularisation. x_0 ~ N(sample mean, diag(max(sample variance, initialStateVariance))).
 */
import { Cholesky } from '../math/cholesky.js';
import { Matrix } from '../math/dense.js';
import { clampEigenvalues } from '../math/symmetric-eigen.js';
import type { LinearGaussianDynamics } from './linear-gaussian-dynamics.js';
import type { Trajectory } from './trajectory.js';

/** Normal-inverse-Wishart prior on the joint Gaussian of y = [x_t; u_t; x_{t+1}]. */
export interface NormalInverseWishartPrior {
  mean: Float64Array;
  /** Scale matrix (a covariance times the prior's pseudo-count m). */
  Phi: Matrix;
  /** Pseudo-count of the mean. */
  m: number;
  /** Pseudo-count of the covariance. */
  n0: number;
}

export interface DynamicsPrior {
  /** The prior for one time step's sample points y_i = [x_t; u_t; x_{t+1}]. */
  evaluate(points: readonly Float64Array[]): NormalInverseWishartPrior;
}

export interface DynamicsFitOptions {
  stateDim: number;
  actionDim: number;
  prior?: DynamicsPrior | null;
  /** Added to the diagonal of Sigma_zz; default 1e-6. */
  regularization?: number;
  /** Floor of the initial-state variance; default 1e-6. */
  initialStateVariance?: number;
}

/** [x_t; u_t; x_{t+1}] of every trajectory at step t. */
export function transitionPoints(trajectories: readonly Trajectory[], t: number): Float64Array[] {
  return trajectories.map((trajectory) => {
    const x = trajectory.states[t];
    const u = trajectory.actions[t];
    const y = trajectory.states[t + 1];
    const out = new Float64Array(x.length + u.length + y.length);
    out.set(x);
    out.set(u, x.length);
    out.set(y, x.length + u.length);
    return out;
  });
}

export function fitLinearGaussianDynamics(
  trajectories: readonly Trajectory[],
  options: DynamicsFitOptions,
): LinearGaussianDynamics {
  const { stateDim: S, actionDim: A } = options;
  const N = trajectories.length;
  if (N === 0) throw new RangeError('dynamics fit: no trajectories');
  const T = trajectories[0].actions.length;
  const reg = options.regularization ?? 1e-6;
  const F: Matrix[] = [];
  const f: Float64Array[] = [];
  const noise: Matrix[] = [];
  for (let t = 0; t < T; t++) {
    const points = transitionPoints(trajectories, t);
    const { mean, covariance } = jointGaussian(points, options.prior?.evaluate(points) ?? null);
    const fit = conditionJoint(mean, covariance, S + A, reg, t);
    F.push(fit.F);
    f.push(fit.f);
    noise.push(fit.noise);
  }
  const x0Mean = new Float64Array(S);
  for (const trajectory of trajectories) for (let i = 0; i < S; i++) x0Mean[i] += trajectory.states[0][i] / N;
  const floor = options.initialStateVariance ?? 1e-6;
  const x0Var = Float64Array.from(x0Mean, (m, i) => {
    let s = 0;
    for (const trajectory of trajectories) s += (trajectory.states[0][i] - m) ** 2 / N;
    return Math.max(s, floor);
  });
  return { stateDim: S, actionDim: A, horizon: T, F, f, noise, x0Mean, x0Cov: Matrix.diagonal(x0Var) };
}

/** MAP joint mean and covariance of the points under the NIW prior (or the empirical moments). */
function jointGaussian(
  points: readonly Float64Array[],
  prior: NormalInverseWishartPrior | null,
): { mean: Float64Array; covariance: Matrix } {
  const N = points.length;
  const D = points[0].length;
  const mean = new Float64Array(D);
  for (const p of points) for (let d = 0; d < D; d++) mean[d] += p[d] / N;
  const scatter = new Matrix(D, D);
  for (const p of points) {
    const diff = Float64Array.from(p, (v, d) => v - mean[d]);
    scatter.addInPlace(Matrix.outer(diff, diff));
  }
  if (prior === null) return { mean, covariance: scatter.scale(1 / N).symmetrize() };
  const { m, n0 } = prior;
  const shift = Float64Array.from(mean, (v, d) => v - prior.mean[d]);
  const covariance = scatter
    .add(prior.Phi)
    .addInPlace(Matrix.outer(shift, shift), (N * m) / (N + m))
    .scale(1 / (N + n0))
    .symmetrize();
  return { mean, covariance };
}

/** Conditions N(mean, covariance) over [z; x'] on z (the first `nz` entries). */
function conditionJoint(
  mean: Float64Array,
  covariance: Matrix,
  nz: number,
  regularization: number,
  t: number,
): { F: Matrix; f: Float64Array; noise: Matrix } {
  const D = mean.length;
  const ny = D - nz;
  const Szz = covariance.block(0, 0, nz, nz);
  const Szy = covariance.block(0, nz, nz, ny);
  // Raise the ridge until the solve is well-posed: a degenerate input block must not give NaN.
  let chol: Cholesky | null = null;
  for (let ridge = regularization, tries = 0; chol === null; ridge *= 10, tries++) {
    if (tries > 20) throw new RangeError(`dynamics fit step ${t}: input covariance is not finite`);
    chol = Cholesky.factor(Szz.clone().addDiagonalInPlace(ridge));
  }
  const F = chol.solve(Szy).transpose();
  const muZ = mean.subarray(0, nz);
  const FmuZ = F.mulVec(muZ);
  const f = Float64Array.from({ length: ny }, (_, i) => mean[nz + i] - FmuZ[i]);
  // Sigma_yy - F Sigma_zy: the Schur complement, PSD up to round-off; projected to be sure.
  const noise = clampEigenvalues(covariance.block(nz, nz, ny, ny).sub(F.mul(Szy)), 0);
  return { F, f, noise };
}
