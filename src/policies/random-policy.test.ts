import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomPolicy } from './random-policy.js';

test('random actions stay within bounds and cover them', () => {
  const policy = new RandomPolicy({ low: [-1, 0], high: [1, 5], seed: 1 });
  const out = new Float64Array(2);
  let min0 = Infinity;
  let max0 = -Infinity;
  for (let i = 0; i < 5000; i++) {
    policy.act(new Float64Array(0), 0, out);
    assert.ok(out[0] >= -1 && out[0] < 1 && out[1] >= 0 && out[1] < 5);
    min0 = Math.min(min0, out[0]);
    max0 = Math.max(max0, out[0]);
  }
  assert.ok(min0 < -0.99 && max0 > 0.99);
});

test('smoothing makes consecutive actions correlated', () => {
  const lag1 = (smoothing: number) => {
    const policy = new RandomPolicy({ low: [-1], high: [1], seed: 2, smoothing });
    const xs = Array.from({ length: 5000 }, () => policy.act(new Float64Array(0), 0, new Float64Array(1))[0]);
    let num = 0;
    let den = 0;
    for (let i = 1; i < xs.length; i++) num += xs[i] * xs[i - 1];
    for (const x of xs) den += x * x;
    return num / den;
  };
  assert.ok(Math.abs(lag1(0)) < 0.05);
  assert.ok(lag1(0.9) > 0.8);
});

test('bad bounds and smoothing are rejected', () => {
  assert.throws(() => new RandomPolicy({ low: [1], high: [-1], seed: 0 }), /low 1 must be below high -1/);
  assert.throws(() => new RandomPolicy({ low: [0], high: [1], seed: 0, smoothing: 1 }), /smoothing/);
});
