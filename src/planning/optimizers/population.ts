/**
 * Per-iteration steps every sampling optimizer shares: scoring a population with non-finite costs
 * made worst, picking the k cheapest without allocating, and the anytime deadline rule.
 */
import type { SequenceObjective } from './optimizer.js';

/**
 * Scores `population` candidates and replaces every non-finite cost (NaN, +-Infinity) by
 * +Infinity, so a diverged rollout can never be chosen (the interface's "worst" rule).
 */
export function scorePopulation(
  objective: SequenceObjective,
  candidates: Float32Array,
  population: number,
  costs: Float32Array,
): void {
  objective.evaluate(candidates, population, costs);
  for (let i = 0; i < population; i++) if (!Number.isFinite(costs[i])) costs[i] = Infinity;
}

/**
 * Writes the indices of the k cheapest of costs[0..n) to out[0..k), cheapest first, ties broken
 * by the lower index (deterministic). Insertion into a sorted k-list: O(n k) worst case, no
 * allocation, and k is small (elites).
 */
export function selectCheapest(costs: Float32Array, n: number, k: number, out: Int32Array): void {
  let size = 0;
  for (let i = 0; i < n; i++) {
    const c = costs[i];
    if (size === k && !(c < costs[out[k - 1]])) continue;
    let pos = size < k ? size : k - 1;
    // Shift costlier entries right; equal costs keep their earlier (lower-index) place.
    while (pos > 0 && c < costs[out[pos - 1]]) {
      out[pos] = out[pos - 1];
      pos--;
    }
    out[pos] = i;
    if (size < k) size++;
  }
}

/** Copies len values from src[srcStart..] to dst[dstStart..] (TypedArray.set would need a view per call). */
export function copyRow(
  src: Float32Array,
  srcStart: number,
  dst: Float32Array,
  dstStart: number,
  len: number,
): void {
  for (let i = 0; i < len; i++) dst[dstStart + i] = src[srcStart + i];
}

/** The anytime rule: after the first iteration, no new one starts once the deadline has passed. */
export function deadlinePassed(iterationsDone: number, deadline: number | undefined): boolean {
  return iterationsDone >= 1 && deadline !== undefined && performance.now() >= deadline;
}
