import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix } from '../math/dense.js';
import { Rng } from '../math/rng.js';
import { randomSpd, relativeError } from '../math/testing.js';
import { expectedStepCosts, forwardMarginals } from './forward-marginals.js';
import { LinearGaussianController } from './linear-gaussian-controller.js';
import { lqrBackward } from './lqr-backward.js';
import { foldNextStateCost, type QuadraticCost } from './quadratic-cost.js';
import { QuadraticTestCost, randomLinearSystem, systemDynamics, type LinearSystem } from './testing.js';

/** Inverse by Gauss-Jordan elimination with partial pivoting: independent of the Cholesky code. */
function gaussJordanInverse(a: Matrix): Matrix {
  const n = a.rows;
  const m = Matrix.zeros(n, 2 * n)
    .setBlock(0, 0, a)
    .setBlock(0, n, Matrix.identity(n));
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m.get(r, c)) > Math.abs(m.get(p, c))) p = r;
    for (let k = 0; k < 2 * n; k++) {
      const t = m.get(c, k);
      m.set(c, k, m.get(p, k));
      m.set(p, k, t);
    }
    const pivot = m.get(c, c);
    for (let k = 0; k < 2 * n; k++) m.set(c, k, m.get(c, k) / pivot);
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m.get(r, c);
      for (let k = 0; k < 2 * n; k++) m.set(r, k, m.get(r, k) - f * m.get(c, k));
    }
  }
  return m.block(0, n, n, n);
}

/** Textbook finite-horizon Riccati recursion with terminal weight Pf. */
function riccati(
  A: Matrix,
  B: Matrix,
  Q: Matrix,
  R: Matrix,
  T: number,
  Pf: Matrix,
): { K: Matrix[]; P: Matrix[] } {
  const K: Matrix[] = new Array(T);
  const P: Matrix[] = new Array(T);
  let next = Pf;
  for (let t = T - 1; t >= 0; t--) {
    const BtP = B.transpose().mul(next);
    const Kt = gaussJordanInverse(R.add(BtP.mul(B)))
      .mul(BtP.mul(A))
      .scale(-1);
    next = Q.add(A.transpose().mul(next).mul(A)).add(A.transpose().mul(next).mul(B).mul(Kt));
    K[t] = Kt;
    P[t] = next;
  }
  return { K, P };
}

/** x_{t+1} = A x_t + B u_t (the system's offset dropped), from x_0 = 0. */
function homogeneousDynamics(system: LinearSystem, T: number) {
  return systemDynamics(
    { ...system, c: new Float64Array(system.A.rows) },
    T,
    new Float64Array(system.A.rows),
  );
}

function currentFormCost(Q: Matrix, R: Matrix, T: number): QuadraticCost {
  const S = Q.rows;
  const n = S + R.rows;
  const C = Matrix.zeros(n, n).setBlock(0, 0, Q).setBlock(S, S, R);
  return { C: Array(T).fill(C), c: Array(T).fill(new Float64Array(n)), c0: new Float64Array(T) };
}

test('LQR gains equal the discrete Riccati recursion on random stabilizable systems (1e-8 relative)', () => {
  const rng = new Rng(2024);
  for (let trial = 0; trial < 6; trial++) {
    const S = 2 + (trial % 4);
    const U = 1 + (trial % 3);
    const T = 40;
    const system = randomLinearSystem(rng, S, U, 1.2);
    const Q = randomSpd(rng, S, 0.1);
    const R = randomSpd(rng, U, 0.1);
    const dynamics = homogeneousDynamics(system, T);
    const solution = lqrBackward({ dynamics, cost: currentFormCost(Q, R, T) });
    assert.ok(solution.ok, `trial ${trial}: PD problem must solve`);
    const reference = riccati(system.A, system.B, Q, R, T, Matrix.zeros(S, S));
    for (let t = 0; t < T; t++) {
      assert.ok(
        relativeError(solution.K[t], reference.K[t]) < 1e-8,
        `trial ${trial} K[${t}]: ${relativeError(solution.K[t], reference.K[t])}`,
      );
      assert.ok(relativeError(solution.Vxx[t], reference.P[t]) < 1e-8, `trial ${trial} V[${t}]`);
      assert.ok(
        solution.k[t].every((v) => Math.abs(v) < 1e-12),
        'no affine terms, no offset',
      );
    }
  }
});

test('next-state costs folded through the dynamics give Riccati with a terminal weight', () => {
  const rng = new Rng(7);
  const S = 3;
  const U = 2;
  const T = 25;
  const system = randomLinearSystem(rng, S, U, 1.1);
  const Q = randomSpd(rng, S, 0.2);
  const R = randomSpd(rng, U, 0.2);
  const dynamics = homogeneousDynamics(system, T);
  // sum_t c(x_{t+1}, u_t) = sum_{t=1..T} x^T Q x / 2 + u^T R u / 2: Riccati with Pf = Q, stage
  // cost on x_t shifted by one step (Q on x_0 only changes the constant).
  const cost = foldNextStateCost(
    new QuadraticTestCost({ Q, R }).expand([{ states: [], actions: Array(T), costs: [] }]),
    dynamics,
  );
  const solution = lqrBackward({ dynamics, cost });
  assert.ok(solution.ok);
  const reference = riccati(system.A, system.B, Q, R, T, Q);
  for (let t = 0; t < T; t++) assert.ok(relativeError(solution.K[t], reference.K[t]) < 1e-8, `K[${t}]`);
});

test('with affine dynamics and a target, perturbing the LQR controller never lowers its expected cost', () => {
  const rng = new Rng(99);
  const S = 4;
  const U = 2;
  const T = 20;
  const system = { ...randomLinearSystem(rng, S, U, 1.1), noiseStd: 0.05 };
  const dynamics = systemDynamics(system, T, [0.5, -0.3, 0.2, 1], 0.01);
  const costModel = QuadraticTestCost.random(rng, S, U);
  const cost = foldNextStateCost(costModel.expand([{ states: [], actions: Array(T), costs: [] }]), dynamics);
  const solution = lqrBackward({ dynamics, cost });
  assert.ok(solution.ok);
  const expected = (K: Matrix[], k: Float64Array[]) => {
    const controller = LinearGaussianController.fromGains({ K, k, variance: 1e-3 });
    return expectedStepCosts(forwardMarginals(dynamics, controller), cost).reduce((a, b) => a + b, 0);
  };
  const optimum = expected(solution.K, solution.k);
  for (let trial = 0; trial < 20; trial++) {
    const t = rng.integer(T);
    const K = solution.K.map((m) => m.clone());
    const k = solution.k.map((v) => v.slice());
    if (trial % 2 === 0) K[t].data[rng.integer(K[t].data.length)] += 0.01 * rng.normal();
    else k[t][rng.integer(U)] += 0.01 * rng.normal();
    assert.ok(
      expected(K, k) >= optimum - 1e-9 * Math.abs(optimum),
      `trial ${trial}: perturbation improved the optimum`,
    );
  }
});

test('a Q_uu that is not positive definite is reported with its step, not returned as NaN gains', () => {
  const S = 2;
  const U = 1;
  const T = 5;
  const system = randomLinearSystem(new Rng(1), S, U);
  const dynamics = systemDynamics(system, T, [0, 0]);
  const R = Matrix.fromRows([[-1]]);
  const result = lqrBackward({ dynamics, cost: currentFormCost(Matrix.identity(S, 1e-3), R, T) });
  assert.equal(result.ok, false);
  if (!result.ok) assert.equal(result.failedStep, T - 1);
  // The Levenberg-Marquardt term repairs it.
  assert.ok(
    lqrBackward({ dynamics, cost: currentFormCost(Matrix.identity(S, 1e-3), R, T), regularization: 2 }).ok,
  );
});
