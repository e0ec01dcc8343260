import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../math/rng.js';
import { randomMatrix } from '../math/testing.js';
import { forwardMarginals } from './forward-marginals.js';
import { LinearGaussianController } from './linear-gaussian-controller.js';
import { randomLinearSystem, sampleSystem, systemDynamics } from './testing.js';
import { trajectoryKl } from './trajectory-kl.js';
import { Matrix } from '../math/dense.js';

function randomController(rng: Rng, S: number, U: number, T: number): LinearGaussianController {
  return new LinearGaussianController({
    K: Array.from({ length: T }, () => randomMatrix(rng, U, S, 0.3)),
    k: Array.from({ length: T }, () => Float64Array.from({ length: U }, () => 0.3 * rng.normal())),
    covariance: Array.from({ length: T }, () => {
      const g = randomMatrix(rng, U, U, 0.3);
      return g.mult(g).addDiagonalInPlace(0.05);
    }),
  });
}

test('trajectory KL is zero for identical controllers and matches a Monte Carlo estimate otherwise', () => {
  const rng = new Rng(8);
  const S = 3;
  const U = 2;
  const T = 6;
  const system = { ...randomLinearSystem(rng, S, U, 0.9), noiseStd: 0.1 };
  const x0 = [0.1, 0.2, -0.3];
  const dynamics = systemDynamics(system, T, x0);
  const p = randomController(rng, S, U, T);
  const q = randomController(rng, S, U, T);
  const marginals = forwardMarginals(dynamics, p);
  assert.ok(trajectoryKl(marginals, p, p) < 1e-12);
  const kl = trajectoryKl(marginals, p, q);
  const n = 20000;
  let mc = 0;
  let mc2 = 0;
  for (const s of sampleSystem({ system, controller: p, x0, cost: () => 0, rng, count: n })) {
    let l = 0;
    for (let t = 0; t < T; t++)
      l += p.logProbability(s.states[t], s.actions[t], t) - q.logProbability(s.states[t], s.actions[t], t);
    mc += l / n;
    mc2 += (l * l) / n;
  }
  const stderr = Math.sqrt((mc2 - mc * mc) / n);
  assert.ok(Math.abs(kl - mc) < 5 * stderr, `closed form ${kl} vs Monte Carlo ${mc} +- ${stderr}`);
  assert.ok(kl > 0);
  // A controller differing only in its offset at one step: KL = 0.5 d^T P d there.
  const shifted = new LinearGaussianController({
    K: p.K,
    k: p.k.map((k, t) => (t === 2 ? Float64Array.from(k, (v, i) => v + (i === 0 ? 0.1 : 0)) : k)),
    covariance: p.covariance,
  });
  const d = Matrix.column([0.1, 0]);
  const exact = 0.5 * d.tmul(p.precision[2].mul(d)).get(0, 0);
  assert.ok(Math.abs(trajectoryKl(forwardMarginals(dynamics, shifted), shifted, p) - exact) < 1e-12);
});
