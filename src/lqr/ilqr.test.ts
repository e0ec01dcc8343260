import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../math/rng.js';
import { relativeError } from '../math/testing.js';
import { ilqr, type DifferentiableModel } from './ilqr.js';
import { lqrBackward } from './lqr-backward.js';
import { foldNextStateCost } from './quadratic-cost.js';
import { QuadraticTestCost, randomLinearSystem, systemDynamics } from './testing.js';

test('on a linear system with quadratic cost, iLQR reaches the LQR solution in one step', () => {
  const rng = new Rng(12);
  const S = 3;
  const U = 2;
  const T = 15;
  const system = randomLinearSystem(rng, S, U, 1.1);
  const cost = QuadraticTestCost.random(rng, S, U);
  const model: DifferentiableModel = {
    stateDim: S,
    actionDim: U,
    step: (x, u) => {
      const next = system.A.mulVec(x);
      const Bu = system.B.mulVec(u);
      return next.map((v, i) => v + Bu[i] + system.c[i]);
    },
  };
  const x0 = [1, 0, -1];
  const result = ilqr({
    model,
    cost: (x, u) => cost.evaluate(x, u),
    expansion: cost,
    x0,
    initialActions: Array.from({ length: T }, () => [0, 0]),
  });
  const truth = systemDynamics(system, T, x0);
  const optimal = lqrBackward({
    dynamics: truth,
    cost: foldNextStateCost(cost.expand([result.trajectory]), truth),
  });
  assert.ok(optimal.ok);
  // The optimal open-loop actions from x0.
  let x: Float64Array = Float64Array.from(x0);
  for (let t = 0; t < T; t++) {
    const u = optimal.K[t].mulVec(x).map((v, i) => v + optimal.k[t][i]);
    const got = result.trajectory.actions[t];
    for (let i = 0; i < U; i++)
      assert.ok(Math.abs(got[i] - u[i]) < 1e-6 * Math.max(1, Math.abs(u[i])), `u[${t}][${i}]`);
    x = model.step(x, u);
  }
  assert.ok(result.costHistory.length <= 3, `iterations ${result.costHistory.length - 1}`);
  assert.ok(relativeError(result.controller.K[0], optimal.K[0]) < 1e-6);
});

test('iLQR lowers the cost of moving a nonlinear pendulum to a raised angle monotonically', () => {
  const dt = 0.05;
  const model: DifferentiableModel = {
    stateDim: 2,
    actionDim: 1,
    step: (x, u) => {
      const velocity = x[1] + dt * (-9.81 * Math.sin(x[0]) - 0.1 * x[1] + u[0]);
      return Float64Array.from([x[0] + dt * velocity, velocity]);
    },
  };
  const result = ilqr({
    model,
    // Gravity torque 9.81 sin(q) makes the dynamics nonlinear; the target is 1.2 rad.
    cost: (x, u) => (x[0] - 1.2) ** 2 + 0.01 * x[1] * x[1] + 0.001 * u[0] * u[0],
    x0: [0.1, 0],
    initialActions: Array.from({ length: 60 }, () => [0]),
    maxIterations: 30,
  });
  const h = result.costHistory;
  for (let i = 1; i < h.length; i++)
    assert.ok(h[i] < h[i - 1], `cost rose at iteration ${i}: ${h[i - 1]} -> ${h[i]}`);
  // Holding 1.2 rad against gravity costs torque, so the optimum rests a little below it
  // (~1.16) and lets go in the last steps, where torque no longer pays off.
  const middle = result.trajectory.states[30];
  assert.ok(Math.abs(middle[0] - 1.2) < 0.06, `angle at t=30: ${middle[0]}`);
  assert.ok(h.at(-1)! < 0.15 * h[0], `costs ${h.map((c) => c.toFixed(2)).join(' ')}`);
  assert.ok(result.controller.K.every((K) => K.isFinite()));
});
