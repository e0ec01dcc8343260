import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nearestRank } from './percentile.js';

test('nearest-rank percentiles of a sorted sample', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(nearestRank(sorted, 0.5), 50);
  assert.equal(nearestRank(sorted, 0.95), 95);
  assert.equal(nearestRank(sorted, 0.99), 99);
  assert.equal(nearestRank(sorted, 1), 100);
  assert.equal(nearestRank(sorted, 0), 1);
  assert.equal(nearestRank([7], 0.5), 7);
  assert.ok(Number.isNaN(nearestRank([], 0.5)));
});
