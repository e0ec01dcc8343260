/**
 * The cross-entropy method as PETS uses it for MPC (Chua et al. 2018, "Deep RL in a handful of
 * trials using probabilistic dynamics models", NeurIPS, Sec. 5; Botev et al. 2013 for CEM
 * itself), following mbrl-lib's CEMOptimizer: a diagonal Gaussian over the whole sequence,
 * refitted to the elites with smoothing alpha, the variance reset each optimize() and the mean
 * warm-started from the previous plan shifted by one step.
 *
 * Bounds: proper truncation. Each entry is drawn from N(mean, var) restricted to [low, high] by
 * resampling out-of-bounds draws (up to 32 tries, then the last draw is clipped; the variance is
 * refitted to in-bounds elites, so acceptance stays >= ~45% unless initialStd is set far wider
 * than the bounds). Not mbrl-lib's variant, which caps the variance at (distance to the nearer
 * bound / 2)^2 and truncates at 2 std: there the std shrinks with the distance to a bound, so an
 * optimum on the bound (saturated actions, common in control) is only approached geometrically
 * slowly; in our tests that variant also converged more slowly in the interior.
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
import {
  booleanOption,
  elitesWithinPopulation,
  numberIn,
  parseOptions,
  perEntryStd,
  positiveInteger,
  resolvePerEntry,
} from './options.js';
import { copyRow, deadlinePassed, scorePopulation, selectCheapest } from './population.js';
import {
  checkSequenceSpace,
  checkShiftSteps,
  clipToSpace,
  fillMidpoint,
  shiftWarmStart,
} from './sequence-space.js';

const cemOptionsShape = {
  /** Samples per iteration: 400 (PETS code, handful-of-trials MPC config "popsize"). */
  population: positiveInteger(400),
  /** Elites refitted per iteration: 40 (PETS code "num_elites"; mbrl-lib elite_ratio 0.1). */
  elites: positiveInteger(40),
  /** Iterations per optimize(): 5 (PETS code "max_iters"; mbrl-lib cem_num_iters). */
  iterations: positiveInteger(5),
  /** Weight kept on the previous mean and variance: 0.1 (PETS code / mbrl-lib "alpha"). */
  alpha: numberIn({ min: 0, max: 1, maxExclusive: true }, 0.1),
  /**
   * Initial std per action entry: default (high - low) / 4 (mbrl-lib initial_var =
   * (ub - lb)^2 / 16). A number applies to every entry; an array gives one per entry.
   */
  initialStd: perEntryStd(),
  /** Stop early once every std is below this: 1e-3 (PETS code "epsilon", there on the variance). */
  minStd: numberIn({ min: 0 }, 1e-3),
  /** Execute the final mean (true, mbrl-lib's return_mean_elites in its configs) or the best sample seen. */
  returnMeanElites: booleanOption(true),
};

export const CemOptionsSchema = z.strictObject(cemOptionsShape).superRefine(elitesWithinPopulation);

export type CemOptions = z.input<typeof CemOptionsSchema>;
export type ResolvedCemOptions = z.output<typeof CemOptionsSchema>;

/** What optimize() returns, plus the best sample's cost (the mean itself is not scored). */
export interface CemResult extends OptimizeResult {
  /** Cost of the cheapest candidate scored in this call. */
  bestCost: number;
}

export class CemOptimizer implements Optimizer {
  readonly name = 'cem';
  readonly maxPopulation: number;
  readonly space: SequenceSpace;
  readonly options: Readonly<ResolvedCemOptions>;
  private readonly rng: Rng;
  private readonly length: number;
  /** Initial variance per sequence entry, tiled over the horizon. */
  private readonly initialVar: Float64Array;
  /** Warm-start mean, kept across calls and shifted by shift(). */
  private readonly mean: Float64Array;
  private readonly variance: Float64Array;
  /** Per-iteration scratch: the bound-constrained std, elite moments. */
  private readonly sampleStd: Float64Array;
  private readonly eliteMean: Float64Array;
  private readonly eliteVar: Float64Array;
  private readonly candidates: Float32Array;
  private readonly costs: Float32Array;
  private readonly eliteIndex: Int32Array;
  private readonly best: Float32Array;
  private readonly meanOut: Float32Array;

  constructor(space: SequenceSpace, options: CemOptions, seed: number) {
    this.options = parseOptions(CemOptionsSchema, options, 'cem');
    this.maxPopulation = this.options.population;
    this.space = checkSequenceSpace(space, 'cem');
    this.rng = new Rng(seed);
    const { horizon, actionDim, low, high } = this.space;
    const len = horizon * actionDim;
    this.length = len;
    const std0 = resolvePerEntry(this.options.initialStd, low, high, 0.25, 'cem.initialStd');
    this.initialVar = new Float64Array(len);
    for (let t = 0; t < horizon; t++)
      for (let j = 0; j < actionDim; j++) this.initialVar[t * actionDim + j] = std0[j] * std0[j];
    this.mean = new Float64Array(len);
    this.variance = new Float64Array(len);
    this.sampleStd = new Float64Array(len);
    this.eliteMean = new Float64Array(len);
    this.eliteVar = new Float64Array(len);
    this.candidates = new Float32Array(this.options.population * len);
    this.costs = new Float32Array(this.options.population);
    this.eliteIndex = new Int32Array(this.options.elites);
    this.best = new Float32Array(len);
    this.meanOut = new Float32Array(len);
    fillMidpoint(this.space, this.mean);
  }

  optimize(objective: SequenceObjective, options: OptimizeOptions = {}): CemResult {
    const { actionDim, low, high } = this.space;
    const { population: n, elites: k, iterations, alpha, minStd } = this.options;
    const len = this.length;
    const mean = this.mean;
    const variance = this.variance;
    const x = this.candidates;
    // mbrl-lib CEMOptimizer.optimize: the variance restarts from its initial value every call.
    variance.set(this.initialVar);
    let bestCost = Infinity;
    let haveBest = false;
    let done = 0;
    while (done < iterations && !deadlinePassed(done, options.deadline)) {
      for (let e = 0; e < len; e++) this.sampleStd[e] = Math.sqrt(variance[e]);
      // Chua et al. 2018 Sec. 5 (CEM): sample from N(mu, diag(var)), here truncated to the bounds.
      for (let p = 0, i = 0; p < n; p++)
        for (let e = 0; e < len; e++, i++) {
          const j = e % actionDim;
          x[i] = truncatedSample(this.rng, mean[e], this.sampleStd[e], low[j], high[j]);
        }
      scorePopulation(objective, x, n, this.costs);
      done++;
      selectCheapest(this.costs, n, k, this.eliteIndex);
      const first = this.eliteIndex[0];
      if (!haveBest || this.costs[first] < bestCost) {
        haveBest = true;
        bestCost = this.costs[first];
        copyRow(x, first * len, this.best, 0, len);
      }
      // CEM update (Botev et al. 2013; Chua et al. 2018 Sec. 5): fit mean, biased variance to the elites...
      this.eliteMean.fill(0);
      this.eliteVar.fill(0);
      for (let r = 0; r < k; r++) {
        const base = this.eliteIndex[r] * len;
        for (let e = 0; e < len; e++) this.eliteMean[e] += x[base + e];
      }
      for (let e = 0; e < len; e++) this.eliteMean[e] /= k;
      for (let r = 0; r < k; r++) {
        const base = this.eliteIndex[r] * len;
        for (let e = 0; e < len; e++) {
          const dev = x[base + e] - this.eliteMean[e];
          this.eliteVar[e] += dev * dev;
        }
      }
      // ...then smooth toward the previous: mu <- alpha mu + (1 - alpha) mu_elite (same for var).
      let maxVar = 0;
      for (let e = 0; e < len; e++) {
        mean[e] = alpha * mean[e] + (1 - alpha) * this.eliteMean[e];
        variance[e] = alpha * variance[e] + (1 - alpha) * (this.eliteVar[e] / k);
        if (variance[e] > maxVar) maxVar = variance[e];
      }
      // PETS code: stop once the distribution has collapsed (max var < epsilon; here on std).
      if (Math.sqrt(maxVar) < minStd) break;
    }
    const evaluations = done * n;
    if (this.options.returnMeanElites) {
      clipToSpace(this.space, mean, this.meanOut);
      return { sequence: this.meanOut, cost: NaN, bestCost, iterations: done, evaluations };
    }
    return { sequence: this.best, cost: bestCost, bestCost, iterations: done, evaluations };
  }

  /** The current warm start (the mean the next optimize() starts from); owned by the optimizer, read only. */
  get warmStart(): Float64Array {
    return this.mean;
  }

  shift(steps: number): void {
    const { horizon } = this.space;
    const s = checkShiftSteps(steps, horizon, 'cem');
    if (s === 0) return;
    if (s >= horizon) return this.reset();
    shiftWarmStart(this.space, this.mean, s);
  }

  reset(): void {
    fillMidpoint(this.space, this.mean);
  }
}

/** One draw of N(mean, std^2) truncated to [low, high], by rejection (see the file comment). */
function truncatedSample(rng: Rng, mean: number, std: number, low: number, high: number): number {
  let v = mean;
  for (let tries = 0; tries < 32; tries++) {
    v = mean + std * rng.normal();
    if (v >= low && v <= high) return v;
  }
  return v < low ? low : v > high ? high : v;
}
