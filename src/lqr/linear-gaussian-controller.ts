/**
 * A time-varying linear-Gaussian controller p(u_t | x_t) = N(K_t (x_t - x^_t) + k_t + u^_t,
 * Sigma_t), the local policy class of LQR-FLM (Levine & Abbeel 2014, sec. 3; Levine's CS 285
 * lecture 12: "iLQR produces x^, u^, K, k"). The Cholesky factor, precision and
 * log-determinant of every Sigma_t are computed once at construction: acting needs the
 * factor, the KL divergence and the log-probability need the other two.
 */
import { Cholesky } from '../math/cholesky.js';
import { Matrix } from '../math/dense.js';
import type { Rng } from '../math/rng.js';

export interface LinearGaussianControllerOptions {
  /** K_t, actionDim x stateDim, one per step. */
  K: readonly Matrix[];
  /** k_t, length actionDim. */
  k: readonly ArrayLike<number>[];
  /** Sigma_t, actionDim x actionDim, symmetric positive definite. */
  covariance: readonly Matrix[];
  /** Nominal states x^_t; default 0 (then k_t is the absolute offset). */
  xHat?: readonly ArrayLike<number>[];
  /** Nominal actions u^_t; default 0. */
  uHat?: readonly ArrayLike<number>[];
}

/** The JSON form (`toJSON` / `fromJSON`): nested arrays, for run artifacts. */
export interface LinearGaussianControllerJson {
  K: number[][][];
  k: number[][];
  covariance: number[][][];
  xHat: number[][];
  uHat: number[][];
}

export class LinearGaussianController {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly horizon: number;
  readonly K: readonly Matrix[];
  readonly k: readonly Float64Array[];
  readonly xHat: readonly Float64Array[];
  readonly uHat: readonly Float64Array[];
  readonly covariance: readonly Matrix[];
  /** Cholesky factor of Sigma_t. */
  readonly covarianceCholesky: readonly Cholesky[];
  /** Sigma_t^{-1}. */
  readonly precision: readonly Matrix[];
  /** log det Sigma_t. */
  readonly logDetCovariance: Float64Array;
  /** k_t + u^_t - K_t x^_t: the mean action is K_t x_t + offset_t. */
  private readonly offsets: Float64Array[];

  constructor(options: LinearGaussianControllerOptions) {
    const T = options.K.length;
    if (T === 0) throw new RangeError('linear-Gaussian controller: horizon must be at least 1');
    const A = options.K[0].rows;
    const S = options.K[0].cols;
    const fail = (message: string) =>
      new RangeError(`linear-Gaussian controller (S=${S}, A=${A}, T=${T}): ${message}`);
    const vectors = (list: readonly ArrayLike<number>[] | undefined, n: number, name: string) => {
      if (list === undefined) return Array.from({ length: T }, () => new Float64Array(n));
      if (list.length !== T) throw fail(`${name} has ${list.length} steps`);
      return list.map((v, t) => {
        if (v.length !== n) throw fail(`${name}[${t}] has ${v.length} entries, expected ${n}`);
        const out = Float64Array.from(v);
        if (!out.every(Number.isFinite)) throw fail(`${name}[${t}] is not finite`);
        return out;
      });
    };
    options.K.forEach((K, t) => {
      if (K.rows !== A || K.cols !== S) throw fail(`K[${t}] is ${K.shape}`);
      if (!K.isFinite()) throw fail(`K[${t}] is not finite`);
    });
    if (options.covariance.length !== T) throw fail(`covariance has ${options.covariance.length} steps`);
    this.stateDim = S;
    this.actionDim = A;
    this.horizon = T;
    this.K = options.K.map((K) => K.clone());
    this.k = vectors(options.k, A, 'k');
    this.xHat = vectors(options.xHat, S, 'xHat');
    this.uHat = vectors(options.uHat, A, 'uHat');
    this.covariance = options.covariance.map((c, t) => {
      if (c.rows !== A || c.cols !== A) throw fail(`covariance[${t}] is ${c.shape}`);
      return c.symmetrize();
    });
    this.covarianceCholesky = this.covariance.map((c, t) => {
      const chol = Cholesky.factor(c);
      if (!chol) throw fail(`covariance[${t}] is not positive definite`);
      return chol;
    });
    this.precision = this.covarianceCholesky.map((c) => c.inverse());
    this.logDetCovariance = Float64Array.from(this.covarianceCholesky, (c) => c.logDet());
    this.offsets = this.K.map((K, t) => {
      const kx = K.mulVec(this.xHat[t]);
      return Float64Array.from(this.k[t], (v, i) => v + this.uHat[t][i] - kx[i]);
    });
  }

  /** The same gains with Sigma_t = variance I at every step (e.g. an initial controller). */
  static fromGains(
    options: Omit<LinearGaussianControllerOptions, 'covariance'> & { variance: number },
  ): LinearGaussianController {
    if (!(options.variance > 0)) throw new RangeError(`variance must be positive, got ${options.variance}`);
    const A = options.K[0]?.rows ?? 0;
    return new LinearGaussianController({
      ...options,
      covariance: options.K.map(() => Matrix.identity(A, options.variance)),
    });
  }

  static fromJSON(json: LinearGaussianControllerJson): LinearGaussianController {
    return new LinearGaussianController({
      K: json.K.map((rows) => Matrix.fromRows(rows)),
      k: json.k,
      covariance: json.covariance.map((rows) => Matrix.fromRows(rows)),
      xHat: json.xHat,
      uHat: json.uHat,
    });
  }

  toJSON(): LinearGaussianControllerJson {
    return {
      K: this.K.map((K) => K.toRows()),
      k: this.k.map((v) => Array.from(v)),
      covariance: this.covariance.map((c) => c.toRows()),
      xHat: this.xHat.map((v) => Array.from(v)),
      uHat: this.uHat.map((v) => Array.from(v)),
    };
  }

  /** The absolute offset o_t: mean action = K_t x_t + o_t. */
  offset(t: number): Float64Array {
    return this.offsets[this.checkStep(t)];
  }

  /** Mean action K_t (x - x^_t) + k_t + u^_t. */
  mean(x: ArrayLike<number>, t: number, out: Float64Array = new Float64Array(this.actionDim)): Float64Array {
    this.checkStep(t);
    const K = this.K[t].data;
    const o = this.offsets[t];
    const S = this.stateDim;
    for (let i = 0; i < this.actionDim; i++) {
      let s = o[i];
      for (let j = 0; j < S; j++) s += K[i * S + j] * x[j];
      out[i] = s;
    }
    return out;
  }

  /**
   * u_t = K_t (x_t - x^_t) + k_t + u^_t + chol(Sigma_t) eps; `noise` is eps ~ N(0, I) (length
   * actionDim), or null for the mean action.
   */
  act(
    x: ArrayLike<number>,
    t: number,
    noise: ArrayLike<number> | null,
    out: Float64Array = new Float64Array(this.actionDim),
  ): Float64Array {
    if (x.length !== this.stateDim)
      throw new RangeError(`state has ${x.length} entries, controller expects ${this.stateDim}`);
    this.mean(x, t, out);
    if (noise !== null) {
      if (noise.length !== this.actionDim)
        throw new RangeError(`noise has ${noise.length} entries, controller expects ${this.actionDim}`);
      const L = this.covarianceCholesky[t].lower.data;
      const A = this.actionDim;
      for (let i = 0; i < A; i++) {
        let s = 0;
        for (let j = 0; j <= i; j++) s += L[i * A + j] * noise[j];
        out[i] += s;
      }
    }
    return out;
  }

  /** act() with eps drawn from `rng`. */
  sample(
    x: ArrayLike<number>,
    t: number,
    rng: Rng,
    out: Float64Array = new Float64Array(this.actionDim),
  ): Float64Array {
    const eps = rng.fillNormal(new Float64Array(this.actionDim));
    return this.act(x, t, eps, out);
  }

  /** log p(u | x) at step t. */
  logProbability(x: ArrayLike<number>, u: ArrayLike<number>, t: number): number {
    const mean = this.mean(x, t);
    const d = Float64Array.from(mean, (m, i) => u[i] - m);
    return (
      -0.5 *
      (this.precision[t].quadForm(d) + this.logDetCovariance[t] + this.actionDim * Math.log(2 * Math.PI))
    );
  }

  private checkStep(t: number): number {
    if (!(Number.isInteger(t) && t >= 0 && t < this.horizon))
      throw new RangeError(`time step ${t} is outside the controller's horizon 0..${this.horizon - 1}`);
    return t;
  }
}
