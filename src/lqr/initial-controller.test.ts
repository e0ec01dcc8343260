import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix } from '../math/dense.js';
import { initialLqr, initialPd } from './initial-controller.js';

test('initial PD: u = kp (target - q) - kd qdot + bias, with the configured variance', () => {
  const c = initialPd({
    stateDim: 4,
    horizon: 3,
    positionIndices: [0, 1],
    velocityIndices: [2, 3],
    kp: [2, 3],
    kd: 0.5,
    targetPose: [0.4, -0.2],
    variance: 0.01,
    bias: [0.1, 0],
  });
  const u = c.act([0.1, 0.3, 1, -2], 2, null);
  assert.ok(Math.abs(u[0] - (2 * (0.4 - 0.1) - 0.5 * 1 + 0.1)) < 1e-12);
  assert.ok(Math.abs(u[1] - (3 * (-0.2 - 0.3) - 0.5 * -2)) < 1e-12);
  assert.deepEqual(c.covariance[0].toRows(), [
    [0.01, 0],
    [0, 0.01],
  ]);
  assert.throws(
    () =>
      initialPd({
        stateDim: 4,
        horizon: 3,
        positionIndices: [0],
        velocityIndices: [9],
        kp: 1,
        kd: 1,
        targetPose: [0],
        variance: 1,
      }),
    /action 0 indexes state 0\/9 of 4/,
  );
});

test('initial LQR on a double integrator drives the state to its target', () => {
  const dt = 0.1;
  const A = Matrix.fromRows([
    [1, dt],
    [0, 1],
  ]);
  const B = Matrix.fromRows([[0], [dt]]);
  const c = initialLqr({
    A,
    B,
    Q: Matrix.diagonal([10, 1]),
    R: Matrix.diagonal([0.1]),
    target: [1, 0],
    horizon: 80,
    variance: 0.1,
  });
  let x: Float64Array = Float64Array.from([0, 0]);
  for (let t = 0; t < 80; t++) {
    const u = c.act(x, t, null);
    x = A.mulVec(x).map((v, i) => v + B.get(i, 0) * u[0]);
  }
  assert.ok(Math.abs(x[0] - 1) < 0.01 && Math.abs(x[1]) < 0.05, `final state ${x}`);
});
