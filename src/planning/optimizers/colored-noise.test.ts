import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../math/rng.js';
import { ColoredNoise } from './colored-noise.js';

/** Pooled variance, per-step variance range and lag-k autocorrelation of many sequences. */
function statistics(horizon: number, beta: number, sequences: number, seed: number) {
  const noise = new ColoredNoise(horizon, beta);
  const rng = new Rng(seed);
  const x = new Float64Array(horizon);
  const perStep = new Float64Array(horizon);
  const lagProducts = new Float64Array(horizon);
  for (let s = 0; s < sequences; s++) {
    noise.sample(rng, x, 0, 1);
    for (let t = 0; t < horizon; t++) {
      perStep[t] += x[t] * x[t];
      for (let k = 0; t + k < horizon; k++) lagProducts[k] += x[t] * x[t + k];
    }
  }
  // The process is zero-mean by construction, so moments are taken about 0.
  const variances = Array.from(perStep, (v) => v / sequences);
  const autocorrelation = (k: number) => lagProducts[k] / (horizon - k) / (lagProducts[0] / horizon);
  return { variances, autocorrelation };
}

describe('ColoredNoise', () => {
  it('beta = 0 is white: unit variance at every step, no lag-1 correlation', () => {
    const { variances, autocorrelation } = statistics(10, 0, 20000, 1);
    for (const v of variances) assert.ok(Math.abs(v - 1) < 0.05, `variance ${v}`);
    assert.ok(Math.abs(autocorrelation(1)) < 0.02, `lag-1 ${autocorrelation(1)}`);
    assert.ok(Math.abs(autocorrelation(3)) < 0.02, `lag-3 ${autocorrelation(3)}`);
  });

  it('beta = 2 is strongly correlated in time and still unit variance', () => {
    for (const horizon of [10, 25]) {
      const { variances, autocorrelation } = statistics(horizon, 2, 20000, 2);
      for (const v of variances) assert.ok(Math.abs(v - 1) < 0.06, `H ${horizon} variance ${v}`);
      assert.ok(autocorrelation(1) > 0.5, `H ${horizon} lag-1 ${autocorrelation(1)}`);
    }
  });

  it('correlation grows with beta', () => {
    const lag1 = [0, 1, 2, 3].map((beta) => statistics(16, beta, 5000, 3).autocorrelation(1));
    for (let i = 1; i < lag1.length; i++)
      assert.ok(lag1[i] > lag1[i - 1] + 0.05, `lag-1 by beta: ${lag1.join(', ')}`);
  });

  it('handles horizon 1 (a plain standard normal) and strided output', () => {
    const one = statistics(1, 2, 20000, 4);
    assert.ok(Math.abs(one.variances[0] - 1) < 0.05);
    const noise = new ColoredNoise(4, 1);
    const out = new Float32Array(12).fill(7);
    noise.sample(new Rng(5), out, 1, 3);
    assert.deepEqual([out[0], out[2], out[3], out[5], out[11]], [7, 7, 7, 7, 7]);
    for (const i of [1, 4, 7, 10]) assert.notEqual(out[i], 7);
  });

  it('rejects a bad horizon or beta', () => {
    assert.throws(() => new ColoredNoise(0, 1), /horizon must be an integer >= 1, got 0/);
    assert.throws(() => new ColoredNoise(5, Number.NaN), /beta must be finite/);
  });
});
