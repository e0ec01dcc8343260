/**
 * Checks a SequenceSpace once at construction (so the hot loops can trust it) and provides the
 * warm-start bookkeeping every optimizer shares: the midpoint initial guess and the receding-
 * horizon shift.
 */
import type { SequenceSpace } from './optimizer.js';
import { OptimizerConfigError, show } from './options.js';

/**
 * Validates the space and returns a private copy of it, so a caller mutating its bounds later
 * cannot move them under a running optimizer.
 */
export function checkSequenceSpace(space: SequenceSpace, owner: string): SequenceSpace {
  const fail = (field: string, message: string): never => {
    throw new OptimizerConfigError(`${owner} space.${field}: ${message}`);
  };
  if (typeof space !== 'object' || space === null) fail('', `expected an object, got ${show(space)}`);
  const { horizon, actionDim, low, high } = space;
  if (typeof horizon !== 'number' || !Number.isInteger(horizon) || horizon < 1)
    fail('horizon', `must be an integer >= 1, got ${show(horizon)}`);
  if (typeof actionDim !== 'number' || !Number.isInteger(actionDim) || actionDim < 1)
    fail('actionDim', `must be an integer >= 1, got ${show(actionDim)}`);
  if (!(low instanceof Float32Array)) fail('low', `must be a Float32Array, got ${show(low)}`);
  if (!(high instanceof Float32Array)) fail('high', `must be a Float32Array, got ${show(high)}`);
  if (low.length !== actionDim) fail('low', `must have actionDim = ${actionDim} entries, got ${low.length}`);
  if (high.length !== actionDim)
    fail('high', `must have actionDim = ${actionDim} entries, got ${high.length}`);
  for (let j = 0; j < actionDim; j++) {
    if (!Number.isFinite(low[j]) || !Number.isFinite(high[j]))
      fail(`low/high[${j}]`, `bounds must be finite, got [${low[j]}, ${high[j]}]`);
    if (!(low[j] < high[j]))
      fail(`low/high[${j}]`, `low must be < high, got low ${low[j]} >= high ${high[j]}`);
  }
  return { horizon, actionDim, low: Float32Array.from(low), high: Float32Array.from(high) };
}

/** The initial guess, the midpoint of the bounds at every step (mbrl-lib's initial_solution). */
export function fillMidpoint(space: SequenceSpace, out: Float64Array, fromStep = 0): void {
  const { horizon, actionDim, low, high } = space;
  for (let t = fromStep; t < horizon; t++)
    for (let j = 0; j < actionDim; j++) out[t * actionDim + j] = 0.5 * (low[j] + high[j]);
}

/**
 * Validates a shift count: a non-negative integer. Returns the count clamped to the horizon so
 * callers can treat `>= horizon` as a reset.
 */
export function checkShiftSteps(steps: number, horizon: number, owner: string): number {
  if (!Number.isInteger(steps) || steps < 0)
    throw new OptimizerConfigError(
      `${owner}.shift: steps must be a non-negative integer, got ${show(steps)}`,
    );
  return Math.min(steps, horizon);
}

/**
 * Moves `rows` sequences of [horizon][actionDim] stored back to back in `buf` left by `steps`
 * steps in place; the tail is left for the caller to fill.
 */
export function shiftRowsLeft(
  buf: Float32Array | Float64Array,
  rows: number,
  horizon: number,
  actionDim: number,
  steps: number,
): void {
  const len = horizon * actionDim;
  const moved = steps * actionDim;
  for (let r = 0; r < rows; r++) buf.copyWithin(r * len, r * len + moved, (r + 1) * len);
}

/** Writes `src` clipped to the space's bounds into `out` from `offset` on (one sequence). */
export function clipToSpace(space: SequenceSpace, src: Float64Array, out: Float32Array, offset = 0): void {
  const { actionDim, low, high } = space;
  const len = space.horizon * actionDim;
  for (let e = 0; e < len; e++) {
    const j = e % actionDim;
    out[offset + e] = Math.min(high[j], Math.max(low[j], src[e]));
  }
}

/** Receding horizon: moves a warm-start sequence left by `steps` and refills the tail with the midpoint. */
export function shiftWarmStart(space: SequenceSpace, mean: Float64Array, steps: number): void {
  shiftRowsLeft(mean, 1, space.horizon, space.actionDim, steps);
  fillMidpoint(space, mean, space.horizon - steps);
}
