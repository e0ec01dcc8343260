/**
 * Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations (Golub & Van
 * Loan, Matrix Computations, 4th ed., sec. 8.5), and the projection onto the positive
 * semidefinite cone built on it. Jacobi is slow for large n but accurate to working precision
 * for the 2..20-dimensional cost Hessians it serves here, and needs no library.
 */
import { Matrix } from './dense.js';

export interface SymmetricEigen {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** Column i is the unit eigenvector of values[i]. */
  vectors: Matrix;
}

/** Decomposes the symmetric matrix `a` (its symmetric part is used) as V diag(values) V^T. */
export function symmetricEigen(a: Matrix, maxSweeps = 100): SymmetricEigen {
  if (a.rows !== a.cols) throw new RangeError(`eigen-decomposition of a non-square ${a.shape} matrix`);
  if (!a.isFinite()) throw new RangeError('eigen-decomposition of a matrix with non-finite entries');
  const n = a.rows;
  const m = a.symmetrize();
  const A = m.data;
  const v = Matrix.identity(n);
  const V = v.data;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    let scale = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (i !== j) off += A[i * n + j] * A[i * n + j];
        scale += A[i * n + j] * A[i * n + j];
      }
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (apq === 0) continue;
        // Rotation angle zeroing A[p][q] (the numerically stable form, Golub & Van Loan alg. 8.5.1).
        const theta = (A[q * n + q] - A[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p];
          const akq = A[k * n + q];
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k];
          const aqk = A[q * n + k];
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p];
          const vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[i * n + i] - A[j * n + j]);
  const values = Float64Array.from(order, (i) => A[i * n + i]);
  const vectors = new Matrix(n, n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vectors.data[k * n + dst] = V[k * n + src];
  });
  return { values, vectors };
}

/**
 * The symmetric matrix with the eigenvectors of `a` and its eigenvalues raised to at least
 * `minEigenvalue`: for minEigenvalue = 0 the nearest positive semidefinite matrix in the
 * Frobenius norm (Higham 1988).
 */
export function clampEigenvalues(a: Matrix, minEigenvalue = 0): Matrix {
  const { values, vectors } = symmetricEigen(a);
  if (values.length === 0 || values[0] >= minEigenvalue) return a.symmetrize();
  const n = values.length;
  const out = new Matrix(n, n);
  for (let e = 0; e < n; e++) {
    const lambda = Math.max(values[e], minEigenvalue);
    for (let i = 0; i < n; i++) {
      const vi = vectors.data[i * n + e] * lambda;
      for (let j = 0; j < n; j++) out.data[i * n + j] += vi * vectors.data[j * n + e];
    }
  }
  return out.symmetrize();
}
