/**
 * The global dynamics prior of LQR-FLM (Levine & Abbeel 2014, sec. 3.1; GPS
 * `DynamicsPriorGMM`): a Gaussian mixture over y = [x_t; u_t; x_{t+1}] from all recent
 * transitions (every time step, every condition), refitted after each batch of samples.
 * For one time step's points the mixture's moments, re-weighted by those points' cluster
 * posteriors, give the normal-inverse-Wishart prior (mu0, Phi = m Sigma0, m, n0). The GPS
 * code normalises the pseudo-counts to m = 1 and n0 ~ 1 times `strength`; here
 * m = n0 = strength, i.e. the prior counts as `strength` extra samples.
 *
 * Number of clusters: floor(points / minPointsPerCluster) clamped to [1, maxClusters] (GPS:
 * min_samples_per_cluster = 40; max_clusters is 20 there, 8 here: "a few", and fewer
 * clusters fit faster and more stably from a few hundred points).
 */
import { Rng } from '../math/rng.js';
import type { DynamicsPrior, NormalInverseWishartPrior } from './dynamics-fit.js';
import { transitionPoints } from './dynamics-fit.js';
import { GaussianMixture } from './gaussian-mixture.js';
import type { Trajectory } from './trajectory.js';

export interface GmmDynamicsPriorOptions {
  seed: number;
  /** Most recent trajectories kept for the fit; default 20 (GPS `max_samples`). */
  maxTrajectories?: number;
  /** Default 8. */
  maxClusters?: number;
  /** Default 40. */
  minPointsPerCluster?: number;
  /** Pseudo-count m = n0 of the prior; default 1. */
  strength?: number;
  /** EM iterations at most; default 100. */
  maxIterations?: number;
}

export class GmmDynamicsPrior implements DynamicsPrior {
  private readonly rng: Rng;
  private readonly maxTrajectories: number;
  private readonly maxClusters: number;
  private readonly minPointsPerCluster: number;
  private readonly strength: number;
  private readonly maxIterations: number;
  private readonly buffer: Trajectory[] = [];
  private gmm: GaussianMixture | null = null;

  constructor(options: GmmDynamicsPriorOptions) {
    this.rng = new Rng(options.seed);
    this.maxTrajectories = options.maxTrajectories ?? 20;
    this.maxClusters = options.maxClusters ?? 8;
    this.minPointsPerCluster = options.minPointsPerCluster ?? 40;
    this.strength = options.strength ?? 1;
    this.maxIterations = options.maxIterations ?? 100;
    if (!(Number.isInteger(this.maxTrajectories) && this.maxTrajectories >= 1))
      throw new RangeError(
        `GMM prior: maxTrajectories must be a positive integer, got ${this.maxTrajectories}`,
      );
    if (!(this.strength > 0))
      throw new RangeError(`GMM prior: strength must be positive, got ${this.strength}`);
  }

  /** The fitted mixture (null before the first update). */
  get mixture(): GaussianMixture | null {
    return this.gmm;
  }

  /** Adds the trajectories, drops the oldest beyond maxTrajectories and refits the mixture. */
  update(trajectories: readonly Trajectory[]): void {
    this.buffer.push(...trajectories);
    this.buffer.splice(0, Math.max(0, this.buffer.length - this.maxTrajectories));
    const points: Float64Array[] = [];
    for (const trajectory of this.buffer)
      for (let t = 0; t < trajectory.actions.length; t++) points.push(...transitionPoints([trajectory], t));
    if (points.length === 0) return;
    const clusters = Math.max(
      1,
      Math.min(this.maxClusters, Math.floor(points.length / this.minPointsPerCluster)),
    );
    this.gmm = GaussianMixture.fit(points, {
      clusters,
      rng: this.rng.fork(),
      maxIterations: this.maxIterations,
    });
  }

  evaluate(points: readonly Float64Array[]): NormalInverseWishartPrior {
    if (this.gmm === null) throw new Error('GMM dynamics prior: evaluate() before the first update()');
    const { mean, covariance } = this.gmm.moments(points);
    return { mean, Phi: covariance.scale(this.strength), m: this.strength, n0: this.strength };
  }
}
