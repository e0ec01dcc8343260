/**
 * Timing of a fixed-rate loop over a sliding window: achieved rate, start jitter
 * (callback start - deadline) percentiles, and deadline misses (a tick that started a full
 * period late, skipped ticks, or whose own work outlasted the period). Fixed-size buffers:
 * nothing is allocated per tick.
 */
import { nearestRank } from '../../math/percentile.js';

export interface ControlTimingSummary {
  ticks: number;
  rateHz: number;
  jitterP50Ms: number;
  jitterP99Ms: number;
  jitterMaxMs: number;
  workP99Ms: number;
  deadlineMisses: number;
}

export class ControlTiming {
  private readonly jitter: Float64Array;
  private readonly work: Float64Array;
  private readonly sorted: Float64Array;
  private readonly starts: Float64Array;
  private count = 0;
  private next = 0;
  /** Over the whole run. */
  deadlineMisses = 0;
  ticks = 0;

  constructor(
    private readonly periodSeconds: number,
    window = 1024,
  ) {
    this.jitter = new Float64Array(window);
    this.work = new Float64Array(window);
    this.sorted = new Float64Array(window);
    this.starts = new Float64Array(window);
  }

  /** One tick: its deadline and start on the node clock, skipped ticks and work time (s). */
  record(expected: number, actual: number, missed: number, workSeconds: number): void {
    const late = Math.max(0, actual - expected);
    this.jitter[this.next] = late;
    this.work[this.next] = workSeconds;
    this.starts[this.next] = actual;
    this.next = (this.next + 1) % this.jitter.length;
    this.count = Math.min(this.count + 1, this.jitter.length);
    this.ticks++;
    if (missed > 0 || late >= this.periodSeconds || workSeconds > this.periodSeconds)
      this.deadlineMisses += Math.max(1, missed);
  }

  summary(): ControlTimingSummary {
    const n = this.count;
    const oldest = (this.next - n + this.jitter.length) % this.jitter.length;
    const newest = (this.next - 1 + this.jitter.length) % this.jitter.length;
    const span = n > 1 ? this.starts[newest] - this.starts[oldest] : 0;
    return {
      ticks: this.ticks,
      rateHz: span > 0 ? (n - 1) / span : 0,
      jitterP50Ms: 1000 * this.percentile(this.jitter, 0.5),
      jitterP99Ms: 1000 * this.percentile(this.jitter, 0.99),
      jitterMaxMs: 1000 * this.percentile(this.jitter, 1),
      workP99Ms: 1000 * this.percentile(this.work, 0.99),
      deadlineMisses: this.deadlineMisses,
    };
  }

  private percentile(values: Float64Array, q: number): number {
    const n = this.count;
    if (n === 0) return 0;
    const view = this.sorted.subarray(0, n);
    view.set(values.subarray(0, n));
    view.sort();
    return nearestRank(view, q);
  }
}
