/**
 * Random shooting: score uniformly drawn sequences and keep the best (the baseline planner of
 * Nagabandi et al. 2018, "Neural network dynamics for model-based deep RL with model-free
 * fine-tuning", Sec. IV-B; also PETS' "RS" baseline, Chua et al. 2018).
 * It has no distribution to warm-start, so shift() and reset() only validate their argument.
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
import { parseOptions, positiveInteger } from './options.js';
import { copyRow, scorePopulation } from './population.js';
import { checkSequenceSpace, checkShiftSteps } from './sequence-space.js';

export const RandomShootingOptionsSchema = z.strictObject({
  /** Sequences scored per optimize(): 1000 (project default; PETS code's "Random" baseline uses 2000). */
  population: positiveInteger(1000),
});

export type RandomShootingOptions = z.input<typeof RandomShootingOptionsSchema>;
export type ResolvedRandomShootingOptions = z.output<typeof RandomShootingOptionsSchema>;

export class RandomShootingOptimizer implements Optimizer {
  readonly name = 'random_shooting';
  readonly maxPopulation: number;
  readonly space: SequenceSpace;
  readonly options: Readonly<ResolvedRandomShootingOptions>;
  private readonly rng: Rng;
  private readonly candidates: Float32Array;
  private readonly costs: Float32Array;
  private readonly best: Float32Array;

  constructor(space: SequenceSpace, options: RandomShootingOptions, seed: number) {
    this.options = parseOptions(RandomShootingOptionsSchema, options, 'random_shooting');
    this.maxPopulation = this.options.population;
    this.space = checkSequenceSpace(space, 'random_shooting');
    this.rng = new Rng(seed);
    const len = this.space.horizon * this.space.actionDim;
    this.candidates = new Float32Array(this.options.population * len);
    this.costs = new Float32Array(this.options.population);
    this.best = new Float32Array(len);
  }

  optimize(objective: SequenceObjective, _options: OptimizeOptions = {}): OptimizeResult {
    // One population is one iteration, and at least one always runs, so the deadline cannot
    // cut anything short here.
    const { horizon, actionDim, low, high } = this.space;
    const n = this.options.population;
    const x = this.candidates;
    let i = 0;
    for (let p = 0; p < n; p++)
      for (let t = 0; t < horizon; t++)
        for (let j = 0; j < actionDim; j++) x[i++] = this.rng.uniformIn(low[j], high[j]);
    scorePopulation(objective, x, n, this.costs);
    let bestIndex = 0;
    for (let p = 1; p < n; p++) if (this.costs[p] < this.costs[bestIndex]) bestIndex = p;
    const len = horizon * actionDim;
    copyRow(x, bestIndex * len, this.best, 0, len);
    return { sequence: this.best, cost: this.costs[bestIndex], iterations: 1, evaluations: n };
  }

  shift(steps: number): void {
    checkShiftSteps(steps, this.space.horizon, 'random_shooting');
  }

  reset(): void {}
}
