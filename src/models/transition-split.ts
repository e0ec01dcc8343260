/**
 * A holdout that stays the same as the dataset grows: transition i is held out when a
 * seeded hash of i falls below the ratio. Logs only append, so every refit holds out the
 * same old rows plus a share of the new ones, and no model trained under this rule has seen
 * any holdout row: comparing the serving model with a refit on it is fair.
 */
import type { TransitionBatch } from './transition-batch.js';

export function isHeldOut(index: number, ratio: number, seed: number): boolean {
  // splitmix32-style integer hash of (index, seed), mapped to [0, 1).
  let h = (index ^ Math.imul(seed, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h / 4294967296 < ratio;
}

/** Splits `data` into training and holdout rows by isHeldOut. */
export function splitTransitions(
  data: TransitionBatch,
  ratio: number,
  seed: number,
): { train: TransitionBatch; holdout: TransitionBatch } {
  const trainRows: number[] = [];
  const holdRows: number[] = [];
  for (let i = 0; i < data.count; i++) (isHeldOut(i, ratio, seed) ? holdRows : trainRows).push(i);
  return { train: selectRows(data, trainRows), holdout: selectRows(data, holdRows) };
}

export function selectRows(data: TransitionBatch, rows: readonly number[]): TransitionBatch {
  const { stateDim: S, actionDim: A } = data;
  const states = new Float32Array(rows.length * S);
  const actions = new Float32Array(rows.length * A);
  const nextStates = new Float32Array(rows.length * S);
  rows.forEach((r, k) => {
    states.set(data.states.subarray(r * S, (r + 1) * S), k * S);
    actions.set(data.actions.subarray(r * A, (r + 1) * A), k * A);
    nextStates.set(data.nextStates.subarray(r * S, (r + 1) * S), k * S);
  });
  return { count: rows.length, stateDim: S, actionDim: A, states, actions, nextStates };
}
