import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix } from '../math/dense.js';
import { Rng } from '../math/rng.js';
import { LinearGaussianController } from './linear-gaussian-controller.js';

const controller = new LinearGaussianController({
  K: [Matrix.fromRows([[1, 2]]), Matrix.fromRows([[-1, 0.5]])],
  k: [[0.5], [0]],
  xHat: [
    [1, 1],
    [0, 2],
  ],
  uHat: [[0.1], [-0.2]],
  covariance: [Matrix.fromRows([[4]]), Matrix.fromRows([[0.25]])],
});

test('act is K (x - x^) + k + u^ + chol(Sigma) eps', () => {
  const x = [2, 3];
  // t=0: 1*(2-1) + 2*(3-1) + 0.5 + 0.1 = 5.6, plus 2 * eps.
  assert.ok(Math.abs(controller.act(x, 0, null)[0] - 5.6) < 1e-12);
  assert.ok(Math.abs(controller.act(x, 0, [0.5])[0] - 6.6) < 1e-12);
  // t=1: -1*2 + 0.5*(3-2) + 0 - 0.2 = -1.7, plus 0.5 * eps.
  assert.ok(Math.abs(controller.act(x, 1, [-2])[0] - -2.7) < 1e-12);
  assert.deepEqual(controller.offset(0), controller.act([0, 0], 0, null));
  assert.throws(() => controller.act(x, 2, null), /outside the controller's horizon 0..1/);
  assert.throws(() => controller.act([1], 0, null), /state has 1 entries/);
});

test('sampling has the controller covariance; log-probability is the Gaussian density', () => {
  const rng = new Rng(1);
  let s = 0;
  let s2 = 0;
  const n = 50000;
  for (let i = 0; i < n; i++) {
    const u = controller.sample([1, 1], 0, rng)[0] - 0.6;
    s += u;
    s2 += u * u;
  }
  assert.ok(Math.abs(s / n) < 0.05 && Math.abs(s2 / n - 4) < 0.1, `mean ${s / n}, variance ${s2 / n}`);
  const lp = controller.logProbability([1, 1], [0.6 + 2], 0);
  assert.ok(Math.abs(lp - -0.5 * (1 + Math.log(4) + Math.log(2 * Math.PI))) < 1e-12);
});

test('JSON round trip; a covariance that is not positive definite is rejected with its step', () => {
  const copy = LinearGaussianController.fromJSON(JSON.parse(JSON.stringify(controller)));
  assert.deepEqual(copy.act([0.3, -1], 1, [0.7]), controller.act([0.3, -1], 1, [0.7]));
  assert.throws(
    () =>
      new LinearGaussianController({
        K: [Matrix.zeros(1, 2), Matrix.zeros(1, 2)],
        k: [[0], [0]],
        covariance: [Matrix.identity(1), Matrix.fromRows([[-1]])],
      }),
    /covariance\[1\] is not positive definite/,
  );
  assert.throws(
    () => LinearGaussianController.fromGains({ K: [Matrix.zeros(1, 1)], k: [[0]], variance: 0 }),
    /variance/,
  );
});
