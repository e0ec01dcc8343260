import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix, addVec, concatVec, dot } from './dense.js';
import { Rng } from './rng.js';
import { randomMatrix } from './testing.js';

test('matmul, transposed products and matrix-vector products agree with the definition', () => {
  const rng = new Rng(1);
  const a = randomMatrix(rng, 3, 4);
  const b = randomMatrix(rng, 4, 2);
  const c = a.mul(b);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 2; j++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a.get(i, k) * b.get(k, j);
      assert.ok(Math.abs(c.get(i, j) - s) < 1e-14);
    }
  assert.ok(a.transpose().tmul(b).sub(c).maxAbs() < 1e-14);
  assert.ok(a.mult(b.transpose()).sub(c).maxAbs() < 1e-14);
  const v = Float64Array.from([1, -2, 0.5, 3]);
  assert.deepEqual(a.mulVec(v), a.mul(Matrix.column(v)).data);
  const w = Float64Array.from([0.3, -1, 2]);
  assert.ok(Math.abs(dot(a.tmulVec(w), v) - dot(w, a.mulVec(v))) < 1e-12);
  const s = Matrix.fromRows([
    [2, 1],
    [1, 3],
  ]);
  assert.equal(s.quadForm([1, -1]), 2 - 2 + 3);
});

test('blocks, symmetrize, trace and shape errors', () => {
  const m = Matrix.fromRows([
    [1, 2, 3],
    [4, 5, 6],
    [7, 8, 9],
  ]);
  assert.deepEqual(m.block(1, 1, 2, 2).toRows(), [
    [5, 6],
    [8, 9],
  ]);
  const z = Matrix.zeros(3, 3).setBlock(0, 1, Matrix.identity(2, 7));
  assert.deepEqual(z.toRows(), [
    [0, 7, 0],
    [0, 0, 7],
    [0, 0, 0],
  ]);
  assert.deepEqual(m.symmetrize().toRows(), [
    [1, 3, 5],
    [3, 5, 7],
    [5, 7, 9],
  ]);
  assert.equal(m.trace(), 15);
  assert.equal(m.frobeniusDot(Matrix.identity(3)), 15);
  assert.throws(() => m.mul(Matrix.zeros(2, 2)), /cannot multiply 3x3 by 2x2/);
  assert.throws(() => m.block(2, 2, 2, 2), /outside 3x3/);
  assert.throws(() => new Matrix(2, 2, new Float64Array(3)), /needs 4 entries/);
  assert.deepEqual(addVec([1, 2], [3, 4], 2), Float64Array.from([7, 10]));
  assert.deepEqual(concatVec([1], [2, 3]), Float64Array.from([1, 2, 3]));
  assert.equal(Matrix.diagonal([1, Number.NaN]).isFinite(), false);
});
