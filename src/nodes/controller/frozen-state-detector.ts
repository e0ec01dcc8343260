/**
 * Detects a frozen sensor: a driver or board that keeps publishing its last sample with fresh
 * stamps passes every freshness check, and the policy would act blind on it. Real sensors are
 * never perfectly still while the robot is driven (noise, quantisation steps, motion), so a
 * state whose every field is bit-identical for `timeoutSeconds` while nonzero commands are
 * being sent is treated as frozen. A zero command is no evidence: a robot at rest on a
 * noiseless encoder legitimately reads the same value (so is a robot pushing against a stop,
 * hence configurable, 0 = off). Once tripped it stays frozen until the state changes (or the
 * owner resets it, e.g. on an operator's mode switch), so the safe action does not alternate
 * with bursts of blind acting. Allocation-free per tick.
 */
export class FrozenStateDetector {
  private readonly reference: Float64Array;
  private hasReference = false;
  /** Tick time from which the state stayed the same while driven; null = no evidence. */
  private since: number | null = null;
  private tripped = false;
  /** Times the detector tripped. */
  trips = 0;

  constructor(
    readonly timeoutSeconds: number,
    dim: number,
  ) {
    if (!(timeoutSeconds >= 0)) throw new RangeError(`frozen timeout must be >= 0, got ${timeoutSeconds}`);
    this.reference = new Float64Array(dim);
  }

  get enabled(): boolean {
    return this.timeoutSeconds > 0;
  }

  /** Whether the last update found the sensor frozen. */
  get frozen(): boolean {
    return this.tripped;
  }

  /** Seconds the state has been unchanged while driven (0 without evidence). */
  unchangedFor(now: number): number {
    return this.since === null ? 0 : now - this.since;
  }

  /**
   * One control tick with fresh state: `driven` says whether the command applied since the
   * previous tick was nonzero. Returns whether the sensor counts as frozen now.
   */
  update(state: Float64Array, now: number, driven: boolean): boolean {
    if (!this.enabled) return false;
    if (!this.hasReference || !sameBits(state, this.reference)) {
      this.reference.set(state);
      this.hasReference = true;
      this.since = null;
      this.tripped = false;
      return false;
    }
    if (this.tripped) return true;
    if (!driven) {
      this.since = null;
      return false;
    }
    this.since ??= now;
    if (now - this.since >= this.timeoutSeconds) {
      this.tripped = true;
      this.trips++;
    }
    return this.tripped;
  }

  /** Forgets the reference and any evidence (a new state source); a trip is cleared too. */
  reset(): void {
    this.hasReference = false;
    this.since = null;
    this.tripped = false;
  }
}

/** Same bits, field by field (Object.is tells -0 from 0; NaN never gets this far). */
function sameBits(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
