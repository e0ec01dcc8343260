/**
 * Model predictive path integral control as a sequence optimizer (Williams et al. 2017,
 * "Information theoretic MPC for model-based reinforcement learning", ICRA, Alg. 2; mbrl-lib's
 * MPPIOptimizer): perturb the nominal sequence U with time-correlated Gaussian noise, weight each
 * candidate by exp(-cost / lambda) and move U to the weighted average. U persists across calls and
 * shift() advances it, so one iteration per control step (the paper's setting) keeps refining it.
 *
 * Simplifications, as in mbrl-lib: the control-cost term lambda u^T Sigma^-1 eps of Alg. 2 is left
 * to the task cost, and no Savitzky-Golay filter is applied to U; instead the noise itself is
 * low-pass filtered (`smoothing`). Candidates are clipped to the bounds, and the update uses the
 * clipped perturbation cand_k - U, so U stays a convex combination of feasible sequences.
 */
import { z } from 'zod';
import { Rng } from '../../math/rng.js';
import type {
  OptimizeOptions,
  OptimizeResult,
  Optimizer,
  SequenceObjective,
  SequenceSpace,
} from './optimizer.js';
import { numberIn, parseOptions, perEntryStd, positiveInteger, resolvePerEntry } from './options.js';
import { deadlinePassed, scorePopulation } from './population.js';
import { checkSequenceSpace, checkShiftSteps, fillMidpoint, shiftWarmStart } from './sequence-space.js';

export const MppiOptionsSchema = z.strictObject({
  /** Rollouts K per iteration: 500 (project default; mbrl-lib's PETS-MPPI examples use 350). */
  population: positiveInteger(500),
  /** Iterations per optimize(): 1 (Williams et al. 2017 Alg. 2 samples once per control step). */
  iterations: positiveInteger(1),
  /**
   * Noise std per action entry: default (high - low) / 4. mbrl-lib uses sigma = 1 on [-1, 1]
   * but caps the variance at (distance to the nearer bound / 2)^2, which at the midpoint is this.
   */
  sigma: perEntryStd(),
  /** Temperature lambda of w_k ~ exp(-S_k / lambda): 1.0 (Williams et al. 2017 eq. for w_k; > 0). */
  temperature: numberIn({ min: 0, minExclusive: true }, 1.0),
  /**
   * Lag-1 correlation of the noise along time, eps_t = s eps_{t-1} + sqrt(1 - s^2) sigma n_t
   * (stationary AR(1), so the marginal std stays sigma); 0 is white noise. Default 0.6.
   * mbrl-lib's beta weights the *new* sample instead (its beta = 1 is white).
   */
  smoothing: numberIn({ min: 0, max: 1, maxExclusive: true }, 0.6),
});

export type MppiOptions = z.input<typeof MppiOptionsSchema>;
export type ResolvedMppiOptions = z.output<typeof MppiOptionsSchema>;

/** What optimize() returns; the updated mean U is not scored, so `cost` is NaN. */
export interface MppiResult extends OptimizeResult {
  /** sum_k w_k S_k of the last iteration: the cost the weighted update was averaging. */
  weightedCost: number;
  /** Cheapest candidate cost of the last iteration. */
  minCost: number;
}

export class MppiOptimizer implements Optimizer {
  readonly name = 'mppi';
  readonly maxPopulation: number;
  readonly space: SequenceSpace;
  readonly options: Readonly<ResolvedMppiOptions>;
  private readonly rng: Rng;
  private readonly length: number;
  private readonly sigma: Float64Array;
  /** The nominal sequence U, kept across calls (the warm start). */
  private readonly nominal: Float64Array;
  private readonly accumulator: Float64Array;
  private readonly candidates: Float32Array;
  private readonly costs: Float32Array;
  private readonly out: Float32Array;

  constructor(space: SequenceSpace, options: MppiOptions, seed: number) {
    this.options = parseOptions(MppiOptionsSchema, options, 'mppi', { temperature: 'temperature (lambda)' });
    this.maxPopulation = this.options.population;
    this.space = checkSequenceSpace(space, 'mppi');
    this.rng = new Rng(seed);
    const { horizon, actionDim, low, high } = this.space;
    const len = horizon * actionDim;
    this.length = len;
    this.sigma = resolvePerEntry(this.options.sigma, low, high, 0.25, 'mppi.sigma');
    this.nominal = new Float64Array(len);
    this.accumulator = new Float64Array(len);
    this.candidates = new Float32Array(this.options.population * len);
    this.costs = new Float32Array(this.options.population);
    this.out = new Float32Array(len);
    fillMidpoint(this.space, this.nominal);
  }

  optimize(objective: SequenceObjective, options: OptimizeOptions = {}): MppiResult {
    const { horizon, actionDim, low, high } = this.space;
    const { population: n, iterations, temperature: lambda, smoothing: s } = this.options;
    const innovation = Math.sqrt(1 - s * s);
    const len = this.length;
    const u = this.nominal;
    const x = this.candidates;
    const acc = this.accumulator;
    let weightedCost = NaN;
    let minCost = NaN;
    let done = 0;
    while (done < iterations && !deadlinePassed(done, options.deadline)) {
      // Alg. 2: eps_k ~ N(0, Sigma), here AR(1)-correlated along time; candidates clip(U + eps_k).
      for (let p = 0; p < n; p++) {
        const base = p * len;
        for (let j = 0; j < actionDim; j++) {
          const sigma = this.sigma[j];
          let eps = sigma * this.rng.normal();
          for (let t = 0; t < horizon; t++) {
            if (t > 0) eps = s * eps + innovation * sigma * this.rng.normal();
            const e = t * actionDim + j;
            const v = u[e] + eps;
            x[base + e] = v < low[j] ? low[j] : v > high[j] ? high[j] : v;
          }
        }
      }
      scorePopulation(objective, x, n, this.costs);
      done++;
      // Alg. 2: beta = min_k S_k keeps exp() in range; w_k = exp(-(S_k - beta) / lambda) / eta.
      let best = Infinity;
      for (let p = 0; p < n; p++) if (this.costs[p] < best) best = this.costs[p];
      minCost = best;
      // Every rollout diverged: there is nothing to weight, so U stays where it was.
      if (best === Infinity) {
        weightedCost = Infinity;
        continue;
      }
      acc.fill(0);
      let eta = 0;
      let costSum = 0;
      for (let p = 0; p < n; p++) {
        const w = Math.exp(-(this.costs[p] - best) / lambda);
        if (w === 0) continue;
        eta += w;
        costSum += w * this.costs[p];
        const base = p * len;
        for (let e = 0; e < len; e++) acc[e] += w * (x[base + e] - u[e]);
      }
      weightedCost = costSum / eta;
      // Alg. 2: U <- U + sum_k w_k eps_k, with eps_k the clipped perturbation cand_k - U.
      for (let e = 0; e < len; e++) {
        const j = e % actionDim;
        const v = u[e] + acc[e] / eta;
        u[e] = v < low[j] ? low[j] : v > high[j] ? high[j] : v;
      }
    }
    for (let e = 0; e < len; e++) this.out[e] = u[e];
    return { sequence: this.out, cost: NaN, weightedCost, minCost, iterations: done, evaluations: done * n };
  }

  /** The current warm start (the mean the next optimize() starts from); owned by the optimizer, read only. */
  get warmStart(): Float64Array {
    return this.nominal;
  }

  shift(steps: number): void {
    const { horizon } = this.space;
    const s = checkShiftSteps(steps, horizon, 'mppi');
    if (s === 0) return;
    if (s >= horizon) return this.reset();
    shiftWarmStart(this.space, this.nominal, s);
  }

  reset(): void {
    fillMidpoint(this.space, this.nominal);
  }
}
