/**
 * iCEM, the sample-efficient cross-entropy method for real-time planning (Pinneri et al. 2020,
 * CoRL, Alg. 1). Over CEM it adds: colored-noise samples (temporally correlated), a population
 * that shrinks each iteration, a fraction of the elites carried into the next iteration and,
 * shifted, into the next time step, the mean added at the last iteration, and executing the best
 * sequence rather than the mean (the paragraphs of Sec. 3 of the paper, in that order).
 *
 * Bounds: samples are mean + std * noise clipped to [low, high] (Alg. 1's clip), not truncated.
 */
import { z } from 'zod';
import { Rng } from '../../math/rng.js';
import { ColoredNoise } from './colored-noise.js';
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
  shiftRowsLeft,
  shiftWarmStart,
} from './sequence-space.js';

export const IcemOptionsSchema = z
  .strictObject({
    /** Initial population N: 200 (mbrl-lib pets_icem_cartpole; the paper sweeps budgets). */
    population: positiveInteger(200),
    /** Elites K: 10 (Pinneri et al. 2020's hyperparameter table). */
    elites: positiveInteger(10),
    /** Iterations per optimize(): 3 (Pinneri et al. 2020 use 3-4 for real-time budgets). */
    iterations: positiveInteger(3),
    /** Colored-noise exponent beta: 2.0 (Pinneri et al. 2020 Sec. 3, colored noise; 0 = white). */
    beta: numberIn({ min: 0 }, 2.0),
    /** Population decay gamma, N_i = max(N gamma^-i, 2K): 1.25 (Pinneri et al. 2020 Sec. 3, decay). */
    populationDecay: numberIn({ min: 1 }, 1.25),
    /** Fraction xi of elites kept for the next iteration / step: 0.3 (Pinneri et al. 2020 Sec. 3). */
    keepEliteFraction: numberIn({ min: 0, max: 1 }, 0.3),
    /** Momentum alpha on mean and std: 0.1 (Pinneri et al. 2020, as CEM-MPC / PETS). */
    alpha: numberIn({ min: 0, max: 1, maxExclusive: true }, 0.1),
    /**
     * Initial std per action entry, reset every optimize(): default (high - low) / 4 (the paper's
     * sigma_init = 0.5 for actions in [-1, 1]; mbrl-lib initial_var = (ub - lb)^2 / 16).
     */
    initialStd: perEntryStd(),
    /** Score the mean too in the last iteration: true (Pinneri et al. 2020 Sec. 3, add mean). */
    addMeanAtLastIteration: booleanOption(true),
    /** Execute the best sequence seen this call (true, Pinneri et al. 2020 Sec. 3) or the mean. */
    executeBest: booleanOption(true),
  })
  .superRefine(elitesWithinPopulation);

export type IcemOptions = z.input<typeof IcemOptionsSchema>;
export type ResolvedIcemOptions = z.output<typeof IcemOptionsSchema>;

/** What optimize() returns, plus the best sample's cost (also when the mean is executed). */
export interface IcemResult extends OptimizeResult {
  bestCost: number;
}

export class IcemOptimizer implements Optimizer {
  readonly name = 'icem';
  /** The largest fresh population plus the kept elites plus the mean. */
  readonly maxPopulation: number;
  readonly space: SequenceSpace;
  readonly options: Readonly<ResolvedIcemOptions>;
  /** Fresh samples per iteration, N_i = max(ceil(N gamma^-i), 2K). */
  readonly populationSchedule: Int32Array;
  /** Elites carried over, ceil(xi K) (mbrl-lib keep_elite_size). */
  readonly keptElites: number;
  private readonly rng: Rng;
  private readonly noise: ColoredNoise;
  private readonly length: number;
  private readonly initialStd: Float64Array;
  private readonly mean: Float64Array;
  private readonly std: Float64Array;
  private readonly eliteMean: Float64Array;
  private readonly eliteVar: Float64Array;
  private readonly candidates: Float32Array;
  private readonly costs: Float32Array;
  /** Exact-length views of candidates/costs by population size, made in the constructor. */
  private readonly candidateViews: (Float32Array | undefined)[];
  private readonly costViews: (Float32Array | undefined)[];
  private readonly eliteIndex: Int32Array;
  /** The last iteration's elites, cheapest first; survive into the next call, shifted. */
  private readonly elites: Float32Array;
  private eliteCount = 0;
  /** Steps from here on of the stored elites are stale after shift() and get fresh noise. */
  private eliteTailStart: number;
  private readonly tailNoise: Float64Array;
  private readonly best: Float32Array;
  private readonly meanOut: Float32Array;

  constructor(space: SequenceSpace, options: IcemOptions, seed: number) {
    this.options = parseOptions(IcemOptionsSchema, options, 'icem');
    this.space = checkSequenceSpace(space, 'icem');
    this.rng = new Rng(seed);
    const { horizon, actionDim, low, high } = this.space;
    const { population, elites, iterations, populationDecay, keepEliteFraction } = this.options;
    const len = horizon * actionDim;
    this.length = len;
    this.noise = new ColoredNoise(horizon, this.options.beta);
    this.populationSchedule = new Int32Array(iterations);
    let maxFresh = 0;
    for (let i = 0; i < iterations; i++) {
      // Pinneri et al. 2020 Alg. 1: N_i = max(N gamma^-i, 2K); -1e-9 keeps 160.00000000000003 at 160.
      const n = Math.max(Math.ceil(population * Math.pow(populationDecay, -i) - 1e-9), 2 * elites);
      this.populationSchedule[i] = n;
      maxFresh = Math.max(maxFresh, n);
    }
    this.keptElites = Math.ceil(keepEliteFraction * elites - 1e-9);
    this.maxPopulation = maxFresh + this.keptElites + 1;
    const maxPopulation = this.maxPopulation;
    const std0 = resolvePerEntry(this.options.initialStd, low, high, 0.25, 'icem.initialStd');
    this.initialStd = new Float64Array(len);
    for (let e = 0; e < len; e++) this.initialStd[e] = std0[e % actionDim];
    this.mean = new Float64Array(len);
    this.std = new Float64Array(len);
    this.eliteMean = new Float64Array(len);
    this.eliteVar = new Float64Array(len);
    this.candidates = new Float32Array(maxPopulation * len);
    this.costs = new Float32Array(maxPopulation);
    // Exact-length views for every population size an iteration can have (fresh samples, plus
    // the kept elites or not, plus the mean or not), made here so optimize() never allocates.
    this.candidateViews = new Array<Float32Array | undefined>(maxPopulation + 1).fill(undefined);
    this.costViews = new Array<Float32Array | undefined>(maxPopulation + 1).fill(undefined);
    for (const fresh of this.populationSchedule)
      for (const kept of [0, this.keptElites])
        for (const withMean of [0, 1]) {
          const count = fresh + kept + withMean;
          this.candidateViews[count] ??= this.candidates.subarray(0, count * len);
          this.costViews[count] ??= this.costs.subarray(0, count);
        }
    this.eliteIndex = new Int32Array(elites);
    this.elites = new Float32Array(elites * len);
    this.eliteTailStart = horizon;
    this.tailNoise = new Float64Array(horizon);
    this.best = new Float32Array(len);
    this.meanOut = new Float32Array(len);
    fillMidpoint(this.space, this.mean);
  }

  optimize(objective: SequenceObjective, options: OptimizeOptions = {}): IcemResult {
    const { horizon, actionDim, low, high } = this.space;
    const { elites: k, iterations, alpha, addMeanAtLastIteration } = this.options;
    const len = this.length;
    const mean = this.mean;
    const std = this.std;
    const x = this.candidates;
    // Pinneri et al. 2020 Alg. 1: sigma_0 <- constant vector at every time step; mu is warm.
    std.set(this.initialStd);
    let bestCost = Infinity;
    let haveBest = false;
    let evaluations = 0;
    let done = 0;
    while (done < iterations && !deadlinePassed(done, options.deadline)) {
      const fresh = this.populationSchedule[done];
      // Alg. 1: samples ~ clip(mu_i + C^beta(d, h) * sigma_i), colored along time per entry.
      for (let p = 0; p < fresh; p++) {
        const base = p * len;
        for (let j = 0; j < actionDim; j++) this.noise.sample(this.rng, x, base + j, actionDim);
        for (let e = 0; e < len; e++) {
          const j = e % actionDim;
          const v = mean[e] + std[e] * x[base + e];
          x[base + e] = v < low[j] ? low[j] : v > high[j] ? high[j] : v;
        }
      }
      let count = fresh;
      // Alg. 1: add a fraction xi of the elites (shifted ones from the previous step when i = 0).
      const keep = Math.min(this.keptElites, this.eliteCount);
      for (let r = 0; r < keep; r++) {
        copyRow(this.elites, r * len, x, count * len, len);
        if (done === 0 && this.eliteTailStart < horizon) this.refillTail(count * len);
        count++;
      }
      // Alg. 1: at the last iteration also try the mean itself.
      if (done === iterations - 1 && addMeanAtLastIteration) {
        clipToSpace(this.space, mean, x, count * len);
        count++;
      }
      scorePopulation(objective, this.candidateView(count), count, this.costView(count));
      evaluations += count;
      done++;
      selectCheapest(this.costs, count, k, this.eliteIndex);
      for (let r = 0; r < k; r++) {
        copyRow(x, this.eliteIndex[r] * len, this.elites, r * len, len);
      }
      this.eliteCount = k;
      this.eliteTailStart = horizon;
      const first = this.eliteIndex[0];
      if (!haveBest || this.costs[first] < bestCost) {
        haveBest = true;
        bestCost = this.costs[first];
        copyRow(this.elites, 0, this.best, 0, len);
      }
      // Alg. 1: fit mean and std to the elites with momentum alpha (iCEM smooths the std).
      this.eliteMean.fill(0);
      this.eliteVar.fill(0);
      for (let r = 0; r < k; r++) for (let e = 0; e < len; e++) this.eliteMean[e] += this.elites[r * len + e];
      for (let e = 0; e < len; e++) this.eliteMean[e] /= k;
      for (let r = 0; r < k; r++)
        for (let e = 0; e < len; e++) {
          const dev = this.elites[r * len + e] - this.eliteMean[e];
          this.eliteVar[e] += dev * dev;
        }
      for (let e = 0; e < len; e++) {
        mean[e] = alpha * mean[e] + (1 - alpha) * this.eliteMean[e];
        std[e] = alpha * std[e] + (1 - alpha) * Math.sqrt(this.eliteVar[e] / k);
      }
    }
    if (this.options.executeBest)
      return { sequence: this.best, cost: bestCost, bestCost, iterations: done, evaluations };
    clipToSpace(this.space, mean, this.meanOut);
    return { sequence: this.meanOut, cost: NaN, bestCost, iterations: done, evaluations };
  }

  /** The current warm start (the mean the next optimize() starts from); owned by the optimizer, read only. */
  get warmStart(): Float64Array {
    return this.mean;
  }

  shift(steps: number): void {
    const { horizon, actionDim } = this.space;
    const s = checkShiftSteps(steps, horizon, 'icem');
    if (s === 0) return;
    if (s >= horizon) return this.reset();
    shiftWarmStart(this.space, this.mean, s);
    // Pinneri et al. 2020 Sec. 3 (shift elites): the shifted last elites seed the next first iteration.
    shiftRowsLeft(this.elites, this.eliteCount, horizon, actionDim, s);
    this.eliteTailStart -= s;
    // Nothing of the old elites is left once every step has been shifted out.
    if (this.eliteTailStart <= 0) this.eliteCount = 0;
  }

  reset(): void {
    fillMidpoint(this.space, this.mean);
    this.eliteCount = 0;
    this.eliteTailStart = this.space.horizon;
  }

  /** Fills the shifted-in tail of the kept elite at `base` with fresh colored noise around the mean. */
  private refillTail(base: number): void {
    const { horizon, actionDim, low, high } = this.space;
    const x = this.candidates;
    for (let j = 0; j < actionDim; j++) {
      this.noise.sample(this.rng, this.tailNoise, 0, 1);
      for (let t = this.eliteTailStart; t < horizon; t++) {
        const e = t * actionDim + j;
        const v = this.mean[e] + this.std[e] * this.tailNoise[t];
        x[base + e] = v < low[j] ? low[j] : v > high[j] ? high[j] : v;
      }
    }
  }

  private candidateView(count: number): Float32Array {
    const view = this.candidateViews[count];
    if (view === undefined) throw new Error(`icem: no candidate view for population ${count}`);
    return view;
  }

  private costView(count: number): Float32Array {
    const view = this.costViews[count];
    if (view === undefined) throw new Error(`icem: no cost view for population ${count}`);
    return view;
  }
}
