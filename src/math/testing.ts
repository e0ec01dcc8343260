/**
 * Random matrices for tests of the linear algebra and LQR code: seeded, so a failing case
 * can be replayed.
 */
import { Matrix } from './dense.js';
import type { Rng } from './rng.js';

/** Entries i.i.d. N(0, scale^2). */
export function randomMatrix(rng: Rng, rows: number, cols: number, scale = 1): Matrix {
  const m = new Matrix(rows, cols);
  rng.fillNormal(m.data, 0, scale);
  return m;
}

/** G G^T + floor I with G Gaussian: symmetric positive definite, eigenvalues >= floor. */
export function randomSpd(rng: Rng, n: number, floor = 0.1): Matrix {
  const g = randomMatrix(rng, n, n);
  return g.mult(g).addDiagonalInPlace(floor).symmetrize();
}

/** Largest absolute entry of a - b relative to the largest absolute entry of b (or 1e-300). */
export function relativeError(a: Matrix, b: Matrix): number {
  return a.sub(b).maxAbs() / Math.max(b.maxAbs(), 1e-300);
}
