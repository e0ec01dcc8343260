import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cholesky } from './cholesky.js';
import { Matrix } from './dense.js';
import { Rng } from './rng.js';
import { clampEigenvalues, symmetricEigen } from './symmetric-eigen.js';
import { randomMatrix, relativeError } from './testing.js';

test('V diag(values) V^T reproduces a random symmetric matrix with orthonormal V', () => {
  const rng = new Rng(3);
  for (const n of [1, 2, 4, 10]) {
    const a = randomMatrix(rng, n, n).symmetrize();
    const { values, vectors } = symmetricEigen(a);
    for (let i = 1; i < n; i++) assert.ok(values[i - 1] <= values[i], 'ascending');
    assert.ok(relativeError(vectors.tmul(vectors), Matrix.identity(n)) < 1e-12, `n=${n}: V^T V = I`);
    const rebuilt = vectors.mul(Matrix.diagonal(values)).mult(vectors);
    assert.ok(relativeError(rebuilt, a) < 1e-12, `n=${n}: reconstruction`);
  }
});

test('clamping eigenvalues makes an indefinite matrix positive definite and keeps a PD one', () => {
  const a = Matrix.fromRows([
    [1, 2],
    [2, 1],
  ]); // eigenvalues 3 and -1
  assert.equal(Cholesky.factor(a), null);
  const fixed = clampEigenvalues(a, 1e-6);
  assert.ok(Cholesky.factor(fixed));
  const { values } = symmetricEigen(fixed);
  assert.ok(Math.abs(values[0] - 1e-6) < 1e-12 && Math.abs(values[1] - 3) < 1e-12, `${values}`);
  const pd = Matrix.fromRows([
    [2, 0.5],
    [0.5, 1],
  ]);
  assert.ok(relativeError(clampEigenvalues(pd), pd) < 1e-15);
  assert.throws(() => symmetricEigen(Matrix.diagonal([Number.NaN])), /non-finite/);
});
