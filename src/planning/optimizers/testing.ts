/**
 * Test helpers for the optimizers: small spaces, a quadratic objective with a known minimum, and
 * a recording wrapper that checks every candidate against the bounds and notes per-call costs and
 * start times (for iteration counting and deadline checks). Not a test file itself.
 */
import type { OptimizeResult, SequenceObjective, SequenceSpace } from './optimizer.js';

/** The space used by most tests: horizon 10, actionDim 2, entry 1 bounds asymmetric. */
export function testSpace(horizon = 10): SequenceSpace {
  return { horizon, actionDim: 2, low: Float32Array.from([-1, -1]), high: Float32Array.from([1, 2]) };
}

/** A sequence with every step equal to `step`. */
export function constantSequence(space: SequenceSpace, step: readonly number[]): Float64Array {
  const out = new Float64Array(space.horizon * space.actionDim);
  for (let t = 0; t < space.horizon; t++)
    for (let j = 0; j < space.actionDim; j++) out[t * space.actionDim + j] = step[j];
  return out;
}

/** A smooth time-varying target evaluated at steps offset .. offset + horizon - 1. */
export function movingTarget(space: SequenceSpace, offset: number): Float64Array {
  const out = new Float64Array(space.horizon * space.actionDim);
  for (let t = 0; t < space.horizon; t++) {
    const tau = t + offset;
    out[t * space.actionDim] = 0.6 * Math.sin(0.35 * tau);
    if (space.actionDim > 1) out[t * space.actionDim + 1] = 0.5 + 1.0 * Math.cos(0.25 * tau);
  }
  return out;
}

/** cost = sum (x - c)^2 over the whole sequence: minimum 0 at x = c. */
export class Quadratic implements SequenceObjective {
  constructor(readonly target: Float64Array) {}

  evaluate(candidates: Float32Array, population: number, costs: Float32Array): void {
    const len = this.target.length;
    for (let p = 0; p < population; p++) {
      let s = 0;
      for (let e = 0; e < len; e++) {
        const d = candidates[p * len + e] - this.target[e];
        s += d * d;
      }
      costs[p] = s;
    }
  }

  costOf(sequence: ArrayLike<number>): number {
    let s = 0;
    for (let e = 0; e < this.target.length; e++) s += (sequence[e] - this.target[e]) ** 2;
    return s;
  }
}

export interface RecordingOptions {
  /** Busy-wait this long in every evaluate() call (a slow model). */
  delayMs?: number;
  /** Keep a copy of every call's candidates (memory: only for small tests). */
  keepCandidates?: boolean;
}

/** Wraps an objective: counts calls, checks bounds, records per-call best cost and end times. */
export class Recording implements SequenceObjective {
  calls = 0;
  evaluations = 0;
  outOfBounds = 0;
  readonly populations: number[] = [];
  readonly bestCostPerCall: number[] = [];
  /** performance.now() when each call returned (after any delay). */
  readonly endTimes: number[] = [];
  readonly candidates: Float32Array[] = [];

  constructor(
    readonly inner: SequenceObjective,
    readonly space: SequenceSpace,
    readonly options: RecordingOptions = {},
  ) {}

  evaluate(candidates: Float32Array, population: number, costs: Float32Array): void {
    const { horizon, actionDim, low, high } = this.space;
    const len = horizon * actionDim;
    if (candidates.length < population * len || costs.length < population)
      throw new Error(`buffers too small for population ${population}`);
    for (let i = 0; i < population * len; i++) {
      const j = i % actionDim;
      const v = candidates[i];
      if (!(v >= low[j] && v <= high[j])) this.outOfBounds++;
    }
    this.inner.evaluate(candidates, population, costs);
    let best = Infinity;
    for (let p = 0; p < population; p++) if (costs[p] < best) best = costs[p];
    this.calls++;
    this.evaluations += population;
    this.populations.push(population);
    this.bestCostPerCall.push(best);
    if (this.options.keepCandidates) this.candidates.push(candidates.slice(0, population * len));
    if (this.options.delayMs !== undefined) busyWait(this.options.delayMs);
    this.endTimes.push(performance.now());
  }

  /**
   * True when no call started after a call that returned at or after `deadline`: the optimizer
   * decides whether to start an iteration after the previous call returned, so every call but
   * the last must have returned before the deadline. (Call start times would race with the
   * sampling that happens between the decision and the call.)
   */
  honoured(deadline: number): boolean {
    return this.endTimes.slice(0, -1).every((t) => t < deadline);
  }

  /** 1-based index of the first call whose best cost was below `threshold`, or Infinity. */
  callsUntilBelow(threshold: number): number {
    const i = this.bestCostPerCall.findIndex((c) => c < threshold);
    return i < 0 ? Infinity : i + 1;
  }
}

export function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin: a synchronous objective cannot yield
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Sanity checks every OptimizeResult must pass. */
export function checkResultShape(result: OptimizeResult, space: SequenceSpace): void {
  const len = space.horizon * space.actionDim;
  if (result.sequence.length !== len) throw new Error(`sequence length ${result.sequence.length} != ${len}`);
  for (let i = 0; i < len; i++) {
    const j = i % space.actionDim;
    const v = result.sequence[i];
    if (!(v >= space.low[j] && v <= space.high[j])) throw new Error(`sequence[${i}] = ${v} outside bounds`);
  }
}
