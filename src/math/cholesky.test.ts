import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Cholesky,
  logDetSpd,
  solveLowerTriangular,
  solveUpperTriangular,
  spdInverse,
  spdSolve,
} from './cholesky.js';
import { Matrix } from './dense.js';
import { Rng } from './rng.js';
import { randomMatrix, randomSpd, relativeError } from './testing.js';

test('L L^T reproduces the matrix; solves, inverse and log-determinant are consistent', () => {
  const rng = new Rng(11);
  for (const n of [1, 2, 5, 9]) {
    const a = randomSpd(rng, n);
    const chol = Cholesky.factor(a);
    assert.ok(chol, `n=${n}: a random SPD matrix must factor`);
    const l = chol.lower;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) assert.equal(l.get(i, j), 0);
    assert.ok(relativeError(l.mult(l), a) < 1e-13, `n=${n}: L L^T`);
    const b = randomMatrix(rng, n, 3);
    const x = chol.solve(b);
    assert.ok(relativeError(a.mul(x), b) < 1e-10, `n=${n}: A X = B`);
    assert.ok(relativeError(a.mul(chol.inverse()), Matrix.identity(n)) < 1e-10, `n=${n}: A A^-1`);
    // log det through the eigenvalues of a 2x2 / product of pivots: compare with a
    // determinant by Gaussian elimination.
    assert.ok(
      Math.abs(chol.logDet() - Math.log(determinant(a))) < 1e-9 * Math.max(1, Math.abs(chol.logDet())),
    );
    assert.ok(relativeError(spdSolve(a, b)!, x) < 1e-14);
    assert.ok(relativeError(spdInverse(a)!, chol.inverse()) < 1e-14);
    assert.equal(logDetSpd(a), chol.logDet());
    const z = Float64Array.from({ length: n }, () => rng.normal());
    assert.ok(relativeError(Matrix.column(chol.mulLowerVec(z)), l.mul(Matrix.column(z))) < 1e-14);
  }
});

test('a matrix that is not positive definite gives null, never NaN', () => {
  const indefinite = Matrix.fromRows([
    [1, 2],
    [2, 1],
  ]);
  assert.equal(Cholesky.factor(indefinite), null);
  assert.equal(Cholesky.factor(Matrix.zeros(3, 3)), null);
  assert.equal(Cholesky.factor(Matrix.diagonal([1, Number.NaN])), null);
  assert.equal(Cholesky.factor(Matrix.diagonal([1, Number.POSITIVE_INFINITY])), null);
  assert.equal(spdSolve(indefinite, Matrix.identity(2)), null);
  assert.equal(spdInverse(indefinite), null);
  assert.equal(logDetSpd(indefinite), null);
  assert.throws(() => Cholesky.factor(Matrix.zeros(2, 3)), /non-square 2x3/);
});

test('triangular solves invert triangular products', () => {
  const rng = new Rng(5);
  const l = randomMatrix(rng, 4, 4);
  for (let i = 0; i < 4; i++) {
    for (let j = i + 1; j < 4; j++) l.set(i, j, 0);
    l.set(i, i, 2 + Math.abs(l.get(i, i)));
  }
  const b = randomMatrix(rng, 4, 2);
  assert.ok(relativeError(l.mul(solveLowerTriangular(l, b)), b) < 1e-13);
  const u = l.transpose();
  assert.ok(relativeError(u.mul(solveUpperTriangular(u, b)), b) < 1e-13);
  assert.ok(relativeError(solveUpperTriangular(l, b, true), solveUpperTriangular(u, b)) < 1e-15);
});

/** Determinant by Gaussian elimination with partial pivoting: an independent reference. */
function determinant(a: Matrix): number {
  const n = a.rows;
  const m = a.clone();
  let det = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m.get(r, c)) > Math.abs(m.get(p, c))) p = r;
    if (p !== c) {
      det = -det;
      for (let k = 0; k < n; k++) {
        const t = m.get(c, k);
        m.set(c, k, m.get(p, k));
        m.set(p, k, t);
      }
    }
    det *= m.get(c, c);
    for (let r = c + 1; r < n; r++) {
      const f = m.get(r, c) / m.get(c, c);
      for (let k = c; k < n; k++) m.set(r, k, m.get(r, k) - f * m.get(c, k));
    }
  }
  return det;
}
