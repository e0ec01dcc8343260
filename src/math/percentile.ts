/**
 * Nearest-rank percentile of an ascending-sorted sample: the smallest value with at least
 * q of the sample at or below it (q = 1 is the maximum). Empty samples give NaN.
 */
export function nearestRank(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
}
