import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix } from '../math/dense.js';
import { Rng } from '../math/rng.js';
import { randomMatrix } from '../math/testing.js';
import { expectedStepCosts, forwardMarginals } from './forward-marginals.js';
import { LinearGaussianController } from './linear-gaussian-controller.js';
import { foldNextStateCost } from './quadratic-cost.js';
import { QuadraticTestCost, randomLinearSystem, sampleSystem, systemDynamics } from './testing.js';
import { totalCost } from './trajectory.js';

test('propagated marginals and expected cost match Monte Carlo rollouts of the linear system', () => {
  const rng = new Rng(5);
  const S = 3;
  const U = 2;
  const T = 8;
  const system = { ...randomLinearSystem(rng, S, U, 0.9), noiseStd: 0.1 };
  const x0 = [0.3, -0.2, 0.5];
  const dynamics = systemDynamics(system, T, x0);
  const controller = LinearGaussianController.fromGains({
    K: Array.from({ length: T }, () => randomMatrix(rng, U, S, 0.3)),
    k: Array.from({ length: T }, () => [0.2 * rng.normal(), 0.2 * rng.normal()]),
    variance: 0.05,
  });
  const costModel = QuadraticTestCost.random(rng, S, U);
  const marginals = forwardMarginals(dynamics, controller);
  const n = 20000;
  const samples = sampleSystem({
    system,
    controller,
    x0,
    cost: (x, u) => costModel.evaluate(x, u),
    rng,
    count: n,
  });
  for (const t of [0, 3, T - 1]) {
    const mean = new Float64Array(S + U);
    for (const s of samples)
      for (let i = 0; i < S + U; i++) mean[i] += (i < S ? s.states[t][i] : s.actions[t][i - S]) / n;
    const cov = Matrix.zeros(S + U, S + U);
    for (const s of samples) {
      const d = Float64Array.from(
        { length: S + U },
        (_, i) => (i < S ? s.states[t][i] : s.actions[t][i - S]) - mean[i],
      );
      cov.addInPlace(Matrix.outer(d, d), 1 / n);
    }
    const scale = Math.sqrt(marginals.covariance[t].maxAbs());
    for (let i = 0; i < S + U; i++)
      assert.ok(
        Math.abs(mean[i] - marginals.mean[t][i]) < (5 * scale) / Math.sqrt(n) + 1e-12,
        `t=${t} mean[${i}]`,
      );
    assert.ok(
      cov.sub(marginals.covariance[t]).maxAbs() < 0.05 * marginals.covariance[t].maxAbs() + 1e-12,
      `t=${t} covariance`,
    );
  }
  const folded = foldNextStateCost(costModel.expand(samples.slice(0, 1)), dynamics);
  const predicted = expectedStepCosts(marginals, folded).reduce((a, b) => a + b, 0);
  const mc = samples.reduce((s, trajectory) => s + totalCost(trajectory), 0) / n;
  assert.ok(
    Math.abs(predicted - mc) < 0.02 * Math.abs(mc),
    `expected cost ${predicted} vs Monte Carlo ${mc}`,
  );
});
