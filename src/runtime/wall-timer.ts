/**
 * A periodic timer on wall time. Deadlines are start + k*period (no drift from callback
 * time or setTimeout lateness); after an overrun it fires once and reports the skipped ticks.
 * Not unref'd: like rclnodejs spin, a live timer keeps the process running until cancelled.
 */
import { wallSeconds } from './clocks.js';
import type { Timer, TimerTick } from './node-api.js';

/** Throws unless the period is a positive finite number of seconds (at least 1 ns). */
export function validateTimerPeriod(periodSeconds: number): void {
  if (!Number.isFinite(periodSeconds) || periodSeconds < 1e-9) {
    throw new RangeError(`timer period must be a positive finite number of seconds, got ${periodSeconds}`);
  }
}

/** Precise timers wake this early and spin to the deadline. */
const SPIN_MS = 1.5;

export interface TimerHooks {
  /** Called with whatever the callback threw; the timer keeps running. */
  onError: (err: unknown) => void;
  /** Called once when the timer is cancelled (by the user, its node or the bus). */
  onCancel?: () => void;
}

export class WallTimer implements Timer {
  private handle: NodeJS.Timeout | undefined;
  private canceled = false;
  private readonly startMs = performance.now();
  private readonly periodMs: number;
  /** Index of the next deadline: start + next * period. */
  private next = 1;

  constructor(
    readonly periodSeconds: number,
    private readonly callback: (tick: TimerTick) => void,
    private readonly hooks: TimerHooks,
    private readonly precise = false,
  ) {
    validateTimerPeriod(periodSeconds);
    this.periodMs = periodSeconds * 1000;
    this.schedule();
  }

  cancel(): void {
    if (this.canceled) return;
    this.canceled = true;
    clearTimeout(this.handle);
    this.handle = undefined;
    this.hooks.onCancel?.();
  }

  isCanceled(): boolean {
    return this.canceled;
  }

  private schedule(): void {
    const delay = this.startMs + this.next * this.periodMs - performance.now();
    // setTimeout works in whole milliseconds and wakes up to ~1 ms late; precise timers
    // wake SPIN_MS early and spin to the deadline instead (as clock_nanosleep loops do).
    const wait = this.precise ? Math.floor(delay - SPIN_MS) : Math.ceil(delay);
    this.handle = setTimeout(() => this.fire(), Math.max(0, wait));
  }

  private fire(): void {
    this.handle = undefined;
    if (this.canceled) return;
    let nowMs = performance.now();
    const deadline = this.startMs + this.next * this.periodMs;
    if (this.precise && deadline - nowMs <= SPIN_MS) while (nowMs < deadline) nowMs = performance.now();
    const due = Math.floor((nowMs - this.startMs) / this.periodMs);
    if (due < this.next) {
      this.schedule(); // woke early (ms rounding): wait for the real deadline
      return;
    }
    const tick: TimerTick = {
      expected: (performance.timeOrigin + this.startMs + due * this.periodMs) / 1000,
      actual: wallSeconds(),
      missed: due - this.next,
    };
    this.next = due + 1;
    try {
      this.callback(tick);
    } catch (err) {
      this.hooks.onError(err);
    }
    if (!this.canceled) this.schedule();
  }
}
