/**
 * The driver-side dead man's switch: when no fresh command arrived within the timeout, the
 * safe command goes out, and keeps going out once per timeout while commands stay away, so a
 * board that missed one frame still gets the next. Ages are measured on the monotonic wall
 * clock, never on sim time: a paused /clock must not keep a real motor running.
 */
export interface CommandWatchdogOptions {
  timeoutSeconds: number;
  /** Sends the safe command; called from check(). */
  sendSafe: () => void;
  /** Monotonic milliseconds; default performance.now. */
  nowMs?: () => number;
}

export class CommandWatchdog {
  /** Fresh -> stale transitions (a start without commands counts once). */
  trips = 0;
  safeCommandsSent = 0;
  private lastFreshMs = -Infinity;
  private lastSafeMs = -Infinity;
  private stale = true;
  private readonly nowMs: () => number;

  constructor(private readonly options: CommandWatchdogOptions) {
    this.nowMs = options.nowMs ?? (() => performance.now());
  }

  /** A fresh command was just sent to the device. */
  fresh(): void {
    this.lastFreshMs = this.nowMs();
    this.stale = false;
  }

  /** True while no fresh command arrived within the timeout. */
  get isStale(): boolean {
    return this.stale || this.nowMs() - this.lastFreshMs > this.options.timeoutSeconds * 1000;
  }

  /** Call often (a few times per timeout): sends the safe command when due. */
  check(): void {
    const now = this.nowMs();
    const timeoutMs = this.options.timeoutSeconds * 1000;
    if (!this.stale && now - this.lastFreshMs <= timeoutMs) return;
    if (!this.stale || this.trips === 0) {
      this.stale = true;
      this.trips++;
      this.lastSafeMs = -Infinity;
    }
    if (now - this.lastSafeMs >= timeoutMs) {
      this.lastSafeMs = now;
      this.safeCommandsSent++;
      this.options.sendSafe();
    }
  }
}
