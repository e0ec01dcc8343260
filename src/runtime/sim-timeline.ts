/**
 * Sim time for the in-process bus: one SimClock shared by every use_sim_time node, and the
 * sim timers, which fire synchronously when /clock advances so lockstep runs are reproducible.
 * Deadlines are integer nanoseconds: float seconds would make 0.1 * 3 > 0.3 and skip a tick.
 */
import { SimClock } from './clocks.js';
import type { Timer, TimerTick } from './node-api.js';
import { timeFromNanoseconds, timeToSeconds, type TimeMsg } from './time.js';
import { validateTimerPeriod, type TimerHooks } from './wall-timer.js';

function nsToSeconds(ns: bigint): number {
  return timeToSeconds(timeFromNanoseconds(ns));
}

class SimTimer implements Timer {
  private canceled = false;
  private readonly periodNs: bigint;
  /** Deadlines are origin + k * period; `next` is the k of the next one. */
  private origin: bigint;
  private next = 1n;

  constructor(
    readonly periodSeconds: number,
    private readonly callback: (tick: TimerTick) => void,
    private readonly hooks: TimerHooks,
    private readonly timeline: SimTimeline,
    now: bigint,
  ) {
    validateTimerPeriod(periodSeconds);
    this.periodNs = BigInt(Math.round(periodSeconds * 1e9));
    this.origin = now;
  }

  cancel(): void {
    if (this.canceled) return;
    this.canceled = true;
    this.timeline.remove(this);
    this.hooks.onCancel?.();
  }

  isCanceled(): boolean {
    return this.canceled;
  }

  /** After a backwards jump (sim reset) the schedule restarts from the new time, as rcl does. */
  restart(now: bigint): void {
    this.origin = now;
    this.next = 1n;
  }

  fireIfDue(now: bigint, nowSeconds: number): void {
    if (this.canceled || this.origin + this.next * this.periodNs > now) return;
    // First k with origin + k*period strictly after now; the tick served is the one before it.
    const following = (now - this.origin) / this.periodNs + 1n;
    const tick: TimerTick = {
      expected: nsToSeconds(this.origin + (following - 1n) * this.periodNs),
      actual: nowSeconds,
      missed: Number(following - this.next - 1n),
    };
    this.next = following;
    try {
      this.callback(tick);
    } catch (err) {
      this.hooks.onError(err);
    }
  }
}

export class SimTimeline {
  readonly clock = new SimClock();
  private timers: SimTimer[] = [];

  /** A timer whose first deadline is now + period (now = 0 if /clock never arrived). */
  createTimer(periodSeconds: number, callback: (tick: TimerTick) => void, hooks: TimerHooks): Timer {
    const timer = new SimTimer(periodSeconds, callback, hooks, this, this.clock.nowNanoseconds());
    this.timers.push(timer);
    return timer;
  }

  /** Sets the clock, then fires each due timer once, in creation order. */
  advance(time: TimeMsg): void {
    const before = this.clock.nowNanoseconds();
    this.clock.set(time);
    const now = this.clock.nowNanoseconds();
    const timers = [...this.timers]; // callbacks may create or cancel timers
    if (now < before) {
      for (const timer of timers) timer.restart(now);
      return;
    }
    for (const timer of timers) timer.fireIfDue(now, this.clock.nowSeconds());
  }

  remove(timer: Timer): void {
    this.timers = this.timers.filter((t) => t !== timer);
  }

  cancelAll(): void {
    for (const timer of [...this.timers]) timer.cancel();
  }

  timerCount(): number {
    return this.timers.length;
  }
}
