import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix } from '../math/dense.js';
import { Rng } from '../math/rng.js';
import { randomSpd, relativeError } from '../math/testing.js';
import { FiniteDifferenceCost } from './finite-difference-cost.js';
import { QuadraticTestCost } from './testing.js';

test('a quadratic cost is expanded exactly (to finite-difference accuracy) in absolute coordinates', () => {
  const rng = new Rng(4);
  const S = 3;
  const U = 2;
  const exact = QuadraticTestCost.random(rng, S, U);
  const fd = new FiniteDifferenceCost({ stateDim: S, actionDim: U, cost: (x, u) => exact.evaluate(x, u) });
  const T = 4;
  const trajectories = Array.from({ length: 3 }, () => ({
    states: Array.from({ length: T + 1 }, () => Float64Array.from({ length: S }, () => rng.normal())),
    actions: Array.from({ length: T }, () => Float64Array.from({ length: U }, () => rng.normal())),
    costs: new Float64Array(T),
  }));
  const got = fd.expand(trajectories);
  const want = exact.expand(trajectories);
  for (let t = 0; t < T; t++) {
    assert.ok(
      relativeError(got.C[t], want.C[t]) < 1e-6,
      `Hessian ${t}: ${relativeError(got.C[t], want.C[t])}`,
    );
    assert.ok(relativeError(Matrix.column(got.c[t]), Matrix.column(want.c[t])) < 1e-6, `gradient ${t}`);
    assert.ok(Math.abs(got.c0[t] - want.c0[t]) < 1e-6 * Math.max(1, Math.abs(want.c0[t])), `constant ${t}`);
  }
});

test('a non-convex cost gets a positive semidefinite Hessian with the true gradient', () => {
  const A = randomSpd(new Rng(2), 2, 0.5);
  // c = -x'^T A x' / 2 + u^2 / 2: concave in the state.
  const fd = new FiniteDifferenceCost({
    stateDim: 2,
    actionDim: 1,
    cost: (x, u) => -0.5 * A.quadForm(x) + 0.5 * u[0] * u[0],
  });
  const local = fd.expandAt(Float64Array.from([0.5, -1, 2]), null);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++)
      assert.ok(Math.abs(local.hessian.get(i, j) - local.hessian.get(j, i)) < 1e-15);
  // The state block's eigenvalues were negative: clamped to 0; the action curvature 1 stays.
  assert.ok(local.hessian.block(0, 0, 2, 2).maxAbs() < 1e-6);
  assert.ok(Math.abs(local.hessian.get(2, 2) - 1) < 1e-6);
  const g = A.mulVec([0.5, -1]);
  assert.ok(Math.abs(local.gradient[0] + g[0]) < 1e-6 && Math.abs(local.gradient[2] - 2) < 1e-6);
  assert.throws(
    () =>
      new FiniteDifferenceCost({ stateDim: 1, actionDim: 1, cost: () => Number.NaN }).expandAt(
        Float64Array.from([0, 0]),
        null,
      ),
    /cost is not finite near \[0\.000, 0\.000\]/,
  );
});
