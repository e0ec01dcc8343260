/**
 * Uniform random exploration within the action bounds, optionally low-pass filtered
 * (a_t = s a_{t-1} + (1 - s) u_t) so exploration on hardware is not a buzz of bang-bang
 * commands. Seeded, so an exploration episode is reproducible.
 */
import { Rng } from '../math/rng.js';
import type { Policy } from './policy.js';

export interface RandomPolicyOptions {
  low: ArrayLike<number>;
  high: ArrayLike<number>;
  seed: number;
  /** In [0, 1); 0 = independent samples each step. */
  smoothing?: number;
}

export class RandomPolicy implements Policy {
  readonly source = 'random' as const;
  private readonly rng: Rng;
  private readonly low: Float64Array;
  private readonly high: Float64Array;
  private readonly smoothing: number;
  private readonly last: Float64Array;
  private started = false;

  constructor(options: RandomPolicyOptions) {
    this.low = Float64Array.from(options.low);
    this.high = Float64Array.from(options.high);
    if (this.low.length !== this.high.length) throw new RangeError('low and high bounds differ in length');
    this.low.forEach((lo, i) => {
      if (!(lo < this.high[i]))
        throw new RangeError(`action ${i}: low ${lo} must be below high ${this.high[i]}`);
    });
    this.smoothing = options.smoothing ?? 0;
    if (!(this.smoothing >= 0 && this.smoothing < 1))
      throw new RangeError(`smoothing must be in [0, 1), got ${this.smoothing}`);
    this.rng = new Rng(options.seed);
    this.last = new Float64Array(this.low.length);
  }

  reset(): void {
    this.started = false;
  }

  act(_state: Float64Array, _time: number, out: Float64Array): Float64Array {
    for (let i = 0; i < this.low.length; i++) {
      const u = this.rng.uniformIn(this.low[i], this.high[i]);
      out[i] = this.started ? this.smoothing * this.last[i] + (1 - this.smoothing) * u : u;
      this.last[i] = out[i];
    }
    this.started = true;
    return out;
  }
}
