import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinearGaussianController } from '../lqr/linear-gaussian-controller.js';
import { Matrix } from '../math/dense.js';
import { LinearGaussianPolicy } from './linear-gaussian-policy.js';
import { PolicyNotReadyError } from './policy.js';

// u_t = t + x[0] (offset t at step t, gain 1), variance 0.01.
const controller = LinearGaussianController.fromGains({
  K: Array.from({ length: 5 }, () => Matrix.fromRows([[1, 0]])),
  k: Array.from({ length: 5 }, (_, t) => [t]),
  variance: 0.01,
});

test('acts by the step index counted from the first call after reset, clamped to the horizon', () => {
  const policy = new LinearGaussianPolicy({ controller, dt: 0.05, seed: 1, noiseScale: 0, version: 3 });
  const out = new Float64Array(1);
  const x = Float64Array.from([0.5, 0]);
  assert.equal(policy.source, 'lqr');
  assert.equal(policy.act(x, 10.0, out)[0], 0.5);
  assert.equal(policy.act(x, 10.1001, out)[0], 2.5, 'two periods later: step 2');
  assert.equal(policy.act(x, 11, out)[0], 4.5, 'past the horizon: the last step');
  policy.reset();
  assert.equal(policy.act(x, 20, out)[0], 0.5, 'a new episode starts at step 0');
  assert.equal(policy.step, 0);
  assert.deepEqual(policy.status(), { modelVersion: 3 });
});

test('exploration noise is seeded and scaled by the controller covariance', () => {
  const run = (seed: number) => {
    const policy = new LinearGaussianPolicy({ controller, dt: 1, seed });
    policy.reset();
    return Array.from(
      { length: 5 },
      (_, t) => policy.act(Float64Array.from([0, 0]), t, new Float64Array(1))[0] - t,
    );
  };
  assert.deepEqual(run(7), run(7));
  assert.notDeepEqual(run(7), run(8));
  const deviations = run(7);
  assert.ok(deviations.every((d) => Math.abs(d) < 0.5) && deviations.some((d) => d !== 0), `${deviations}`);
});

test('without a controller it is not ready; setController installs one and bumps the version', () => {
  const policy = new LinearGaussianPolicy({ dt: 0.1, seed: 1 });
  assert.throws(() => policy.act(Float64Array.from([0, 0]), 0, new Float64Array(1)), PolicyNotReadyError);
  policy.setController(controller);
  assert.equal(policy.status().modelVersion, 1);
  assert.ok(Number.isFinite(policy.act(Float64Array.from([0, 0]), 0, new Float64Array(1))[0]));
  assert.throws(() => new LinearGaussianPolicy({ dt: 0, seed: 1 }), /dt must be positive/);
});
