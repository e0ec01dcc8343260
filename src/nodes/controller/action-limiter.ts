/**
 * Keeps commands inside what the actuators accept: per-entry bounds and, where configured, a
 * rate limit |a_t - a_{t-1}| <= rate * dt (ros2_control's joint limits interface does both).
 */
export interface ActionLimits {
  low: Float64Array;
  high: Float64Array;
  /** Per entry, units per second; Infinity = no rate limit. */
  ratePerSecond: Float64Array;
}

export class ActionLimiter {
  constructor(readonly limits: ActionLimits) {
    const { low, high, ratePerSecond } = limits;
    if (low.length !== high.length || low.length !== ratePerSecond.length)
      throw new RangeError('action limits: low, high and rate limits must have one entry per action');
    for (let i = 0; i < low.length; i++) {
      if (!(low[i] < high[i]))
        throw new RangeError(`action ${i}: min ${low[i]} must be below max ${high[i]}`);
      if (!(ratePerSecond[i] > 0)) throw new RangeError(`action ${i}: rate limit must be positive`);
    }
  }

  /**
   * Clamps `action` in place to the bounds and to a step of at most rate * dt from
   * `previous`. Returns true if any entry was changed.
   */
  apply(action: Float64Array, previous: Float64Array, dt: number): boolean {
    const { low, high, ratePerSecond } = this.limits;
    let changed = false;
    for (let i = 0; i < action.length; i++) {
      let a = Math.min(high[i], Math.max(low[i], action[i]));
      const maxStep = ratePerSecond[i] * dt;
      if (a - previous[i] > maxStep) a = previous[i] + maxStep;
      else if (previous[i] - a > maxStep) a = previous[i] - maxStep;
      if (a !== action[i]) changed = true;
      action[i] = a;
    }
    return changed;
  }
}
