import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix } from '../math/dense.js';
import { Rng } from '../math/rng.js';
import { expectedStepCosts, forwardMarginals } from './forward-marginals.js';
import { LinearGaussianController } from './linear-gaussian-controller.js';
import { lqrBackward } from './lqr-backward.js';
import { LqrFlm, type IterationReport } from './lqr-flm.js';
import { foldNextStateCost } from './quadratic-cost.js';
import { QuadraticTestCost, randomLinearSystem, sampleSystem, systemDynamics } from './testing.js';

const S = 3;
const U = 2;
const T = 20;

function lqProblem(seed: number) {
  const rng = new Rng(seed);
  const system = { ...randomLinearSystem(rng, S, U, 1.0), noiseStd: 0.02 };
  const cost = QuadraticTestCost.random(rng, S, U);
  const x0 = [0.5, -0.5, 0.3];
  const truth = systemDynamics(system, T, x0, 0);
  const folded = foldNextStateCost(cost.expand([{ states: [], actions: Array(T), costs: [] }]), truth);
  const expectedCost = (c: LinearGaussianController) =>
    expectedStepCosts(forwardMarginals(truth, c), folded).reduce((a, b) => a + b, 0);
  const optimal = lqrBackward({ dynamics: truth, cost: folded });
  assert.ok(optimal.ok);
  const optimum = expectedCost(
    LinearGaussianController.fromGains({ K: optimal.K, k: optimal.k, variance: 1e-12 }),
  );
  return { rng, system, cost, x0, expectedCost, optimum };
}

test('LQR-FLM converges to the LQR optimum on a linear-quadratic problem, inside its trust region', () => {
  for (const seed of [1, 2]) {
    const { rng, system, cost, x0, expectedCost, optimum } = lqProblem(seed);
    const initial = LinearGaussianController.fromGains({
      K: Array.from({ length: T }, () => Matrix.zeros(U, S)),
      k: Array.from({ length: T }, () => new Float64Array(U)),
      variance: 0.1,
    });
    const flm = new LqrFlm({
      stateDim: S,
      actionDim: U,
      horizon: T,
      conditions: 1,
      initialController: initial,
      klStep: 0.5,
      samplesPerCondition: 5,
      seed,
      cost: () => cost,
    });
    const gaps = [expectedCost(initial) - optimum];
    const reports: IterationReport[] = [];
    for (let i = 0; i < 15; i++) {
      const samples = sampleSystem({
        system,
        controller: flm.controllers[0],
        x0,
        cost: (x, u) => cost.evaluate(x, u),
        rng,
        count: 5,
      });
      const report = flm.iterate([samples]);
      reports.push(report);
      gaps.push(expectedCost(report.controllers[0]) - optimum);
      const c = report.conditions[0];
      assert.ok(Number.isFinite(report.cost) && Number.isFinite(report.eta));
      assert.ok(
        c.eta_at_bound !== null || Math.abs(c.kl - c.kl_target) <= 0.1 * c.kl_target,
        `seed ${seed} iteration ${i}: kl ${c.kl} target ${c.kl_target} eta ${c.eta}`,
      );
    }
    assert.equal(reports[0].iteration, 0);
    assert.equal(reports[0].conditions[0].predicted_improvement, null);
    assert.ok(reports[1].conditions[0].predicted_improvement !== null);
    // Sampled cost goes down, and the final controller is within 2% of the initial gap from the optimum.
    assert.ok(
      reports.at(-1)!.cost < reports[0].cost,
      `sampled cost ${reports[0].cost} -> ${reports.at(-1)!.cost}`,
    );
    const gap = gaps.at(-1)!;
    assert.ok(gap >= -1e-9 * Math.abs(optimum), `seed ${seed}: below the optimum? ${gap}`);
    assert.ok(
      gap < 0.02 * gaps[0],
      `seed ${seed}: gap to the LQR optimum ${gaps.map((g) => g.toPrecision(3)).join(' ')}`,
    );
  }
});

test('iterate rejects samples of the wrong shape with the condition and sample named', () => {
  const { cost } = lqProblem(3);
  const flm = new LqrFlm({
    stateDim: S,
    actionDim: U,
    horizon: T,
    conditions: 2,
    initialController: LinearGaussianController.fromGains({
      K: Array.from({ length: T }, () => Matrix.zeros(U, S)),
      k: Array.from({ length: T }, () => new Float64Array(U)),
      variance: 0.1,
    }),
    klStep: 0.5,
    samplesPerCondition: 1,
    seed: 1,
    cost: () => cost,
  });
  assert.throws(() => flm.iterate([[]]), /samples for 1 conditions, expected 2/);
  const bad = {
    states: Array(T + 1).fill([0, 0, 0]),
    actions: Array(T).fill([0, 0]),
    costs: new Float64Array(T - 1),
  };
  const good = { ...bad, costs: new Float64Array(T) };
  assert.throws(() => flm.iterate([[good], [good, bad]]), /condition 1 sample 1: has 19 costs/);
  assert.throws(
    () =>
      new LqrFlm({
        stateDim: S,
        actionDim: U,
        horizon: T + 1,
        conditions: 1,
        initialController: flm.controllers[0],
        klStep: 1,
        samplesPerCondition: 5,
        seed: 1,
        cost: () => cost,
      }),
    /initial controller 0 is S=3, A=2, T=20; expected S=3, A=2, T=21/,
  );
});
