/**
 * Cholesky factorisation A = L L^T of a symmetric positive-definite matrix, with the solves,
 * inverse and log-determinant built on it. Failure is a signal, not a NaN: `factor` returns
 * null when a pivot is not positive and finite, which is how the LQR backward pass detects a
 * Q_uu that is not positive definite (Levine & Abbeel 2014, sec. 3.2: then the dual variable
 * eta is raised).
 */
import { Matrix } from './dense.js';

export class Cholesky {
  /** Lower-triangular factor L (upper triangle zero). */
  readonly lower: Matrix;

  private constructor(lower: Matrix) {
    this.lower = lower;
  }

  get size(): number {
    return this.lower.rows;
  }

  /**
   * Factors the symmetric matrix `a` (only its lower triangle is read). Returns null when `a`
   * is not positive definite to working precision or holds a non-finite entry.
   */
  static factor(a: Matrix): Cholesky | null {
    if (a.rows !== a.cols) throw new RangeError(`Cholesky of a non-square ${a.shape} matrix`);
    const n = a.rows;
    const l = new Matrix(n, n);
    const L = l.data;
    const A = a.data;
    for (let j = 0; j < n; j++) {
      let d = A[j * n + j];
      for (let k = 0; k < j; k++) d -= L[j * n + k] * L[j * n + k];
      // `!(d > 0)` also catches NaN; a finite check catches Infinity.
      if (!(d > 0) || !Number.isFinite(d)) return null;
      const ljj = Math.sqrt(d);
      L[j * n + j] = ljj;
      for (let i = j + 1; i < n; i++) {
        let s = A[i * n + j];
        for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
        L[i * n + j] = s / ljj;
      }
    }
    return new Cholesky(l);
  }

  /** Solves A X = B. */
  solve(b: Matrix): Matrix {
    return solveUpperTriangular(this.lower, solveLowerTriangular(this.lower, b), true);
  }

  /** Solves A x = b for a vector. */
  solveVec(b: ArrayLike<number>): Float64Array {
    return this.solve(Matrix.column(b)).data;
  }

  /** A^{-1}, exactly symmetric. */
  inverse(): Matrix {
    return this.solve(Matrix.identity(this.size)).symmetrize();
  }

  /** log det A = 2 sum log L_ii. */
  logDet(): number {
    let s = 0;
    for (let i = 0; i < this.size; i++) s += Math.log(this.lower.get(i, i));
    return 2 * s;
  }

  /** L z for a vector z: maps standard normal draws to N(0, A) draws. */
  mulLowerVec(z: ArrayLike<number>, out: Float64Array = new Float64Array(this.size)): Float64Array {
    const n = this.size;
    const L = this.lower.data;
    for (let i = n - 1; i >= 0; i--) {
      let s = 0;
      for (let k = 0; k <= i; k++) s += L[i * n + k] * z[k];
      out[i] = s;
    }
    return out;
  }
}

/** Solves L X = B for lower-triangular L by forward substitution. */
export function solveLowerTriangular(l: Matrix, b: Matrix): Matrix {
  const n = l.rows;
  if (l.cols !== n || b.rows !== n) throw new RangeError(`cannot solve ${l.shape} X = ${b.shape}`);
  const m = b.cols;
  const x = b.clone();
  for (let i = 0; i < n; i++) {
    const lii = l.data[i * n + i];
    for (let c = 0; c < m; c++) {
      let s = x.data[i * m + c];
      for (let k = 0; k < i; k++) s -= l.data[i * n + k] * x.data[k * m + c];
      x.data[i * m + c] = s / lii;
    }
  }
  return x;
}

/**
 * Solves U X = B for upper-triangular U by back substitution; with `transposed` the argument
 * is a lower-triangular L and the system solved is L^T X = B (no transpose is formed).
 */
export function solveUpperTriangular(u: Matrix, b: Matrix, transposed = false): Matrix {
  const n = u.rows;
  if (u.cols !== n || b.rows !== n) throw new RangeError(`cannot solve ${u.shape} X = ${b.shape}`);
  const m = b.cols;
  const x = b.clone();
  const at = transposed
    ? (i: number, k: number) => u.data[k * n + i]
    : (i: number, k: number) => u.data[i * n + k];
  for (let i = n - 1; i >= 0; i--) {
    const uii = at(i, i);
    for (let c = 0; c < m; c++) {
      let s = x.data[i * m + c];
      for (let k = i + 1; k < n; k++) s -= at(i, k) * x.data[k * m + c];
      x.data[i * m + c] = s / uii;
    }
  }
  return x;
}

/** Solves A X = B for symmetric positive-definite A; null when A is not positive definite. */
export function spdSolve(a: Matrix, b: Matrix): Matrix | null {
  return Cholesky.factor(a)?.solve(b) ?? null;
}

/** A^{-1} for symmetric positive-definite A; null when A is not positive definite. */
export function spdInverse(a: Matrix): Matrix | null {
  return Cholesky.factor(a)?.inverse() ?? null;
}

/** log det A for symmetric positive-definite A; null when A is not positive definite. */
export function logDetSpd(a: Matrix): number | null {
  return Cholesky.factor(a)?.logDet() ?? null;
}
