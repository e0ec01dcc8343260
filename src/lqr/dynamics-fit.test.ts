import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix } from '../math/dense.js';
import { Rng } from '../math/rng.js';
import { randomMatrix } from '../math/testing.js';
import { fitLinearGaussianDynamics } from './dynamics-fit.js';
import { GmmDynamicsPrior } from './gmm-dynamics-prior.js';
import { LinearGaussianController } from './linear-gaussian-controller.js';
import { randomLinearSystem, sampleSystem } from './testing.js';

const S = 3;
const U = 2;
const T = 10;

function setup(seed: number) {
  const rng = new Rng(seed);
  const system = { ...randomLinearSystem(rng, S, U, 0.95), noiseStd: 0.01 };
  const controller = LinearGaussianController.fromGains({
    K: Array.from({ length: T }, () => randomMatrix(rng, U, S, 0.2)),
    k: Array.from({ length: T }, () => new Float64Array(U)),
    variance: 0.25,
  });
  const trueF = Matrix.zeros(S, S + U)
    .setBlock(0, 0, system.A)
    .setBlock(0, S, system.B);
  const draw = (count: number, x0: number[]) =>
    sampleSystem({ system, controller, x0, cost: () => 0, rng, count });
  return { system, trueF, draw };
}

test('with exact linear dynamics the fit recovers F and f from noisy samples', () => {
  const { system, trueF, draw } = setup(3);
  const samples = draw(60, [0.5, -0.5, 0.2]);
  const fit = fitLinearGaussianDynamics(samples, { stateDim: S, actionDim: U });
  assert.equal(fit.horizon, T);
  // x_0 is deterministic and x_1 spreads only over x_0 + span(B) (plus 0.01 noise), so F_x is
  // identifiable from t = 2 on; at t = 0 F_u is.
  for (let t = 2; t < T; t++) {
    const err = fit.F[t].sub(trueF).maxAbs();
    assert.ok(err < 0.03, `F[${t}] error ${err}`);
    for (let i = 0; i < S; i++) assert.ok(Math.abs(fit.f[t][i] - system.c[i]) < 0.03, `f[${t}][${i}]`);
    // noise variance 1e-4 per dimension
    assert.ok(Math.abs(fit.noise[t].trace() / S - 1e-4) < 5e-5, `noise[${t}] ${fit.noise[t].trace() / S}`);
  }
  const Fu0 = fit.F[0]
    .block(0, S, S, U)
    .sub(trueF.block(0, S, S, U))
    .maxAbs();
  assert.ok(Fu0 < 0.03, `F_u[0] error ${Fu0}`);
  [0.5, -0.5, 0.2].forEach((v, i) => assert.ok(Math.abs(fit.x0Mean[i] - v) < 1e-12));
  assert.ok(Math.abs(fit.x0Cov.get(0, 0) - 1e-6) < 1e-12, 'variance floor for a fixed x_0');
});

test('five samples with a GMM prior from earlier data still give a usable, finite model', () => {
  const { trueF, draw } = setup(4);
  const prior = new GmmDynamicsPrior({ seed: 1, maxTrajectories: 40 });
  prior.update(draw(30, [0.3, 0.1, -0.2]));
  const few = draw(5, [0.2, 0.2, -0.1]);
  prior.update(few);
  const withPrior = fitLinearGaussianDynamics(few, { stateDim: S, actionDim: U, prior });
  const without = fitLinearGaussianDynamics(few, { stateDim: S, actionDim: U });
  let errPrior = 0;
  let errRidge = 0;
  for (let t = 2; t < T; t++) {
    assert.ok(withPrior.F[t].isFinite() && without.F[t].isFinite());
    errPrior += withPrior.F[t].sub(trueF).maxAbs() / (T - 2);
    errRidge += without.F[t].sub(trueF).maxAbs() / (T - 2);
  }
  // 5 points cannot identify 5 inputs plus an offset; the prior must.
  assert.ok(errPrior < 0.1, `mean F error with the prior ${errPrior}`);
  assert.ok(errPrior < errRidge, `prior ${errPrior} vs ridge only ${errRidge}`);
  assert.ok(prior.mixture !== null && prior.mixture.weights.length >= 1);
});

test('a single sample (zero empirical covariance) fits without NaN', () => {
  const { draw } = setup(5);
  const fit = fitLinearGaussianDynamics(draw(1, [0, 0, 0]), { stateDim: S, actionDim: U });
  for (let t = 0; t < T; t++)
    assert.ok(fit.F[t].isFinite() && fit.noise[t].isFinite() && fit.f[t].every(Number.isFinite));
});
