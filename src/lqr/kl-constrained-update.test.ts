import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix } from '../math/dense.js';
import { Rng } from '../math/rng.js';
import { randomMatrix } from '../math/testing.js';
import { klConstrainedUpdate } from './kl-constrained-update.js';
import { LinearGaussianController } from './linear-gaussian-controller.js';
import { foldNextStateCost, type QuadraticCost } from './quadratic-cost.js';
import { QuadraticTestCost, randomLinearSystem, systemDynamics } from './testing.js';

function problem(seed: number, T = 15) {
  const rng = new Rng(seed);
  const S = 3;
  const U = 2;
  const system = { ...randomLinearSystem(rng, S, U, 1.05), noiseStd: 0.05 };
  const dynamics = systemDynamics(system, T, [1, -0.5, 0.3], 1e-4);
  const cost = foldNextStateCost(
    QuadraticTestCost.random(rng, S, U).expand([{ states: [], actions: Array(T), costs: [] }]),
    dynamics,
  );
  const previous = LinearGaussianController.fromGains({
    K: Array.from({ length: T }, () => randomMatrix(rng, U, S, 0.1)),
    k: Array.from({ length: T }, () => new Float64Array(U)),
    variance: 0.1,
  });
  return { dynamics, cost, previous, T };
}

test('every KL-constrained update meets the trust region within tolerance, or reports eta at its bound', () => {
  for (let seed = 1; seed <= 8; seed++) {
    const { dynamics, cost, previous, T } = problem(seed);
    for (const epsilon of [0.01, 0.3, 2, 20].map((e) => e * T)) {
      for (const eta of [1e-3, 1, 1e4]) {
        const result = klConstrainedUpdate({ dynamics, cost, previous, epsilon, eta });
        const label = `seed ${seed}, epsilon ${epsilon}, eta0 ${eta}: kl ${result.kl}, eta ${result.eta}`;
        assert.ok(Number.isFinite(result.kl) && Number.isFinite(result.eta), label);
        assert.ok(
          result.controller.K.every((K) => K.isFinite()),
          label,
        );
        if (result.etaAtBound === 'lower') assert.ok(result.kl <= epsilon, `inactive constraint: ${label}`);
        else {
          assert.equal(result.etaAtBound, null, label);
          assert.ok(result.converged && Math.abs(result.kl - epsilon) <= 0.1 * epsilon, label);
        }
      }
    }
  }
});

test('a huge trust region leaves eta at its lower bound; a tiny one keeps the controller close', () => {
  const { dynamics, cost, previous } = problem(3);
  const free = klConstrainedUpdate({ dynamics, cost, previous, epsilon: 1e9, minEta: 1e-6 });
  assert.equal(free.etaAtBound, 'lower');
  assert.equal(free.eta, 1e-6);
  const tight = klConstrainedUpdate({ dynamics, cost, previous, epsilon: 1e-6 });
  assert.ok(tight.converged && tight.eta > 1);
  assert.ok(tight.controller.K[0].sub(previous.K[0]).maxAbs() < 0.05);
});

test('a cost with negative curvature in u raises eta instead of producing NaN', () => {
  const { dynamics, cost, previous, T } = problem(4);
  const S = dynamics.stateDim;
  const U = dynamics.actionDim;
  // Concave in u: only the -log p_old term (precision 10) can make Q_uu positive definite, which
  // needs eta > 5 / 10 at least.
  const concave: QuadraticCost = {
    C: cost.C.map((C) =>
      C.clone()
        .setBlock(S, S, Matrix.identity(U, -5))
        .setBlock(0, S, Matrix.zeros(S, U))
        .setBlock(S, 0, Matrix.zeros(U, S)),
    ),
    c: cost.c,
    c0: cost.c0,
  };
  const result = klConstrainedUpdate({ dynamics, cost: concave, previous, epsilon: 100 * T, eta: 1e-3 });
  assert.ok(result.nonPdFailures > 0, 'the first backward passes fail');
  assert.ok(result.eta > 0.5, `eta ${result.eta}`);
  assert.ok(Number.isFinite(result.kl));
  assert.ok(result.controller.covariance.every((c) => c.isFinite()));
  // No eta makes an always-indefinite problem solvable: the old controller is kept, reported at the bound.
  const hopeless: QuadraticCost = {
    C: cost.C.map((C) => C.clone().setBlock(S, S, Matrix.identity(U, -1e30))),
    c: cost.c,
    c0: cost.c0,
  };
  const stuck = klConstrainedUpdate({ dynamics, cost: hopeless, previous, epsilon: 1, maxEta: 1e6 });
  assert.equal(stuck.etaAtBound, 'upper');
  assert.equal(stuck.controller, previous);
  assert.equal(stuck.kl, 0);
});
