/**
 * A Gaussian mixture model fitted by expectation-maximisation, the global prior of LQR-FLM's
 * dynamics fit (Levine & Abbeel 2014, sec. 3.1: a GMM over (x_t, u_t, x_{t+1}) tuples from
 * all recent samples; following the GPS code's gmm.py for the M-step regularisation
 * (+1e-6 I per covariance) and the rebooting of clusters whose mass collapses).
 *
 * Initialisation is seeded: k distinct data points (chosen with the given Rng) as means,
 * points assigned to the nearest in per-dimension standardised distance, then EM until the
 * mean log-likelihood improves by less than `tolerance` (relative).
 */
import { Cholesky } from '../math/cholesky.js';
import { Matrix } from '../math/dense.js';
import type { Rng } from '../math/rng.js';

export interface GaussianMixtureOptions {
  clusters: number;
  rng: Rng;
  /** Default 100. */
  maxIterations?: number;
  /** Relative log-likelihood change that ends EM; default 1e-5. */
  tolerance?: number;
  /** Added to every covariance's diagonal; default 1e-6. */
  regularization?: number;
}

export interface MixtureMoments {
  mean: Float64Array;
  covariance: Matrix;
}

const LOG_2PI = Math.log(2 * Math.PI);

export class GaussianMixture {
  readonly dim: number;
  /** Mixing weights, summing to 1. */
  readonly weights: Float64Array;
  readonly means: readonly Float64Array[];
  readonly covariances: readonly Matrix[];
  /** Number of points the mixture was fitted to. */
  readonly points: number;
  /** Mean log-likelihood per point at the end of EM. */
  readonly logLikelihood: number;
  readonly iterations: number;
  private readonly cholesky: Cholesky[];
  /** log w_k - (D log 2 pi + log det Sigma_k) / 2 */
  private readonly logNormalisers: Float64Array;
  private readonly scratch: Float64Array;

  private constructor(
    weights: Float64Array,
    means: Float64Array[],
    covariances: Matrix[],
    points: number,
    logLikelihood: number,
    iterations: number,
  ) {
    this.dim = means[0].length;
    this.weights = weights;
    this.means = means;
    this.covariances = covariances;
    this.points = points;
    this.logLikelihood = logLikelihood;
    this.iterations = iterations;
    this.cholesky = covariances.map((c, k) => {
      const chol = Cholesky.factor(c);
      if (!chol) throw new RangeError(`GMM cluster ${k}: covariance is not positive definite`);
      return chol;
    });
    this.logNormalisers = Float64Array.from(
      this.cholesky,
      (chol, k) => Math.log(weights[k]) - 0.5 * (this.dim * LOG_2PI + chol.logDet()),
    );
    this.scratch = new Float64Array(this.dim);
  }

  static fit(data: readonly Float64Array[], options: GaussianMixtureOptions): GaussianMixture {
    const N = data.length;
    if (N === 0) throw new RangeError('GMM: no data');
    const D = data[0].length;
    data.forEach((x, i) => {
      if (x.length !== D) throw new RangeError(`GMM: point ${i} has ${x.length} entries, point 0 has ${D}`);
      if (!x.every(Number.isFinite)) throw new RangeError(`GMM: point ${i} is not finite`);
    });
    const K = Math.max(1, Math.min(options.clusters, N));
    const maxIterations = options.maxIterations ?? 100;
    const tolerance = options.tolerance ?? 1e-5;
    const reg = options.regularization ?? 1e-6;

    // Seeded initialisation: K distinct points as centres, hard nearest assignment.
    const scale = new Float64Array(D);
    const globalMean = new Float64Array(D);
    for (const x of data) for (let d = 0; d < D; d++) globalMean[d] += x[d] / N;
    for (const x of data) for (let d = 0; d < D; d++) scale[d] += (x[d] - globalMean[d]) ** 2 / N;
    for (let d = 0; d < D; d++) scale[d] = 1 / Math.max(scale[d], 1e-12);
    const centres = Array.from(options.rng.permutation(N).subarray(0, K), (i) => data[i]);
    let resp: Float64Array[] = data.map((x) => {
      let best = 0;
      let bestDist = Infinity;
      centres.forEach((c, k) => {
        let s = 0;
        for (let d = 0; d < D; d++) s += (x[d] - c[d]) ** 2 * scale[d];
        if (s < bestDist) {
          bestDist = s;
          best = k;
        }
      });
      const r = new Float64Array(K);
      r[best] = 1;
      return r;
    });

    let model = GaussianMixture.mStep(data, resp, K, reg, -Infinity, 0);
    let previous = -Infinity;
    let iterations = 0;
    for (; iterations < maxIterations; iterations++) {
      const { responsibilities, meanLogLikelihood } = model.eStep(data);
      resp = responsibilities;
      const converged = Math.abs(meanLogLikelihood - previous) <= tolerance * Math.abs(meanLogLikelihood);
      previous = meanLogLikelihood;
      model = GaussianMixture.mStep(data, resp, K, reg, meanLogLikelihood, iterations + 1);
      if (converged) break;
    }
    return model;
  }

  private static mStep(
    data: readonly Float64Array[],
    resp: Float64Array[],
    K: number,
    reg: number,
    logLikelihood: number,
    iterations: number,
  ): GaussianMixture {
    const N = data.length;
    const D = data[0].length;
    const mass = new Float64Array(K);
    for (const r of resp) for (let k = 0; k < K; k++) mass[k] += r[k];
    const weights = Float64Array.from(mass, (m) => m / N);
    const means: Float64Array[] = [];
    const covariances: Matrix[] = [];
    for (let k = 0; k < K; k++) {
      // A collapsed cluster is rebooted with uniform weights (GPS gmm.py), i.e. the global moments.
      const reboot = weights[k] < 1e-4 / K;
      const w = (i: number) => (reboot ? 1 / N : resp[i][k] / mass[k]);
      const mu = new Float64Array(D);
      for (let i = 0; i < N; i++) {
        const wi = w(i);
        if (wi !== 0) for (let d = 0; d < D; d++) mu[d] += wi * data[i][d];
      }
      const cov = new Matrix(D, D);
      for (let i = 0; i < N; i++) {
        const wi = w(i);
        if (wi === 0) continue;
        const x = data[i];
        for (let a = 0; a < D; a++) {
          const da = wi * (x[a] - mu[a]);
          for (let b = 0; b <= a; b++) cov.data[a * D + b] += da * (x[b] - mu[b]);
        }
      }
      for (let a = 0; a < D; a++) for (let b = 0; b < a; b++) cov.data[b * D + a] = cov.data[a * D + b];
      cov.addDiagonalInPlace(reg);
      if (reboot) weights[k] = 1e-4 / K;
      means.push(mu);
      covariances.push(cov);
    }
    const total = weights.reduce((a, b) => a + b, 0);
    for (let k = 0; k < K; k++) weights[k] /= total;
    return new GaussianMixture(weights, means, covariances, N, logLikelihood, iterations);
  }

  /** log(w_k N(x | mu_k, Sigma_k)) for every cluster k. */
  logJoint(x: ArrayLike<number>, out: Float64Array = new Float64Array(this.weights.length)): Float64Array {
    const D = this.dim;
    const diff = this.scratch;
    for (let k = 0; k < this.weights.length; k++) {
      const mu = this.means[k];
      const L = this.cholesky[k].lower.data;
      // ||L^{-1} (x - mu)||^2 by forward substitution.
      let maha = 0;
      for (let i = 0; i < D; i++) {
        let s = x[i] - mu[i];
        for (let j = 0; j < i; j++) s -= L[i * D + j] * diff[j];
        diff[i] = s / L[i * D + i];
        maha += diff[i] * diff[i];
      }
      out[k] = this.logNormalisers[k] - 0.5 * maha;
    }
    return out;
  }

  /** Cluster posteriors per point and the mean log-likelihood. */
  eStep(data: readonly ArrayLike<number>[]): { responsibilities: Float64Array[]; meanLogLikelihood: number } {
    let total = 0;
    const responsibilities = data.map((x) => {
      const lj = this.logJoint(x);
      const norm = logSumExp(lj);
      total += norm;
      return lj.map((v) => Math.exp(v - norm));
    });
    return { responsibilities, meanLogLikelihood: total / data.length };
  }

  /**
   * Moments of the mixture re-weighted by the average cluster posterior of `points` (GPS
   * gmm.inference): w_k = mean_i p(k | x_i); mean = sum w_k mu_k;
   * covariance = sum w_k (Sigma_k + (mu_k - mean)(mu_k - mean)^T).
   */
  moments(points: readonly ArrayLike<number>[]): MixtureMoments {
    const K = this.weights.length;
    const D = this.dim;
    const w = new Float64Array(K);
    for (const r of this.eStep(points).responsibilities)
      for (let k = 0; k < K; k++) w[k] += r[k] / points.length;
    const mean = new Float64Array(D);
    for (let k = 0; k < K; k++) for (let d = 0; d < D; d++) mean[d] += w[k] * this.means[k][d];
    const covariance = new Matrix(D, D);
    for (let k = 0; k < K; k++) {
      const diff = Float64Array.from(this.means[k], (m, d) => m - mean[d]);
      covariance.addInPlace(this.covariances[k], w[k]).addInPlace(Matrix.outer(diff, diff), w[k]);
    }
    return { mean, covariance: covariance.symmetrize() };
  }
}

function logSumExp(v: Float64Array): number {
  let max = -Infinity;
  for (const x of v) max = Math.max(max, x);
  if (!Number.isFinite(max)) return max;
  let s = 0;
  for (const x of v) s += Math.exp(x - max);
  return max + Math.log(s);
}
