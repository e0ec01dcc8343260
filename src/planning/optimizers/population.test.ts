import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../math/rng.js';
import { scorePopulation, selectCheapest } from './population.js';

describe('selectCheapest', () => {
  it('matches a full sort, cheapest first, ties by index', () => {
    const rng = new Rng(1);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + rng.integer(60);
      const k = 1 + rng.integer(n);
      // Few distinct values, so ties are common; some infinite.
      const costs = Float32Array.from({ length: n }, () => (rng.uniform() < 0.1 ? Infinity : rng.integer(8)));
      const out = new Int32Array(k);
      selectCheapest(costs, n, k, out);
      const expected = Array.from({ length: n }, (_, i) => i)
        .sort((a, b) => (costs[a] === costs[b] ? a - b : costs[a] < costs[b] ? -1 : 1))
        .slice(0, k);
      assert.deepEqual([...out], expected, `n ${n} k ${k}`);
    }
  });
});

describe('scorePopulation', () => {
  it('turns NaN and +-Infinity into +Infinity and leaves finite costs alone', () => {
    const raw = [1.5, Number.NaN, -Infinity, Infinity, -2, 0];
    const costs = new Float32Array(7).fill(42);
    let seenPopulation = 0;
    scorePopulation(
      {
        evaluate(_x, n, out) {
          seenPopulation = n;
          out.set(raw);
        },
      },
      new Float32Array(6),
      6,
      costs,
    );
    assert.equal(seenPopulation, 6);
    assert.deepEqual([...costs], [1.5, Infinity, Infinity, Infinity, -2, 0, 42]);
  });
});
