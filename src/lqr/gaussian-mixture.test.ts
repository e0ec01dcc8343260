import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../math/rng.js';
import { GaussianMixture } from './gaussian-mixture.js';

function twoBlobs(seed: number, n: number): Float64Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const centre = i % 3 === 0 ? [5, 5] : [-2, 1];
    return Float64Array.from(centre, (c) => c + 0.5 * rng.normal());
  });
}

test('EM separates two clusters: means, weights and covariances', () => {
  const data = twoBlobs(1, 900);
  const gmm = GaussianMixture.fit(data, { clusters: 2, rng: new Rng(3) });
  const order = gmm.means[0][0] > gmm.means[1][0] ? [0, 1] : [1, 0];
  const [a, b] = order;
  assert.ok(Math.abs(gmm.means[a][0] - 5) < 0.1 && Math.abs(gmm.means[a][1] - 5) < 0.1, `${gmm.means[a]}`);
  assert.ok(Math.abs(gmm.means[b][0] + 2) < 0.1 && Math.abs(gmm.means[b][1] - 1) < 0.1, `${gmm.means[b]}`);
  assert.ok(Math.abs(gmm.weights[a] - 1 / 3) < 0.02, `weight ${gmm.weights[a]}`);
  assert.ok(Math.abs(gmm.covariances[a].get(0, 0) - 0.25) < 0.05);
  // Moments re-weighted by points of one cluster are that cluster's.
  const m = gmm.moments([Float64Array.from([5, 5])]);
  assert.ok(Math.abs(m.mean[0] - gmm.means[a][0]) < 1e-6);
});

test('the same seed gives the same mixture; degenerate data still fits', () => {
  const data = twoBlobs(2, 200);
  const x = GaussianMixture.fit(data, { clusters: 4, rng: new Rng(9) });
  const y = GaussianMixture.fit(data, { clusters: 4, rng: new Rng(9) });
  assert.deepEqual(x.means, y.means);
  assert.equal(x.logLikelihood, y.logLikelihood);
  const constant = Array.from({ length: 50 }, () => Float64Array.from([1, 2, 3]));
  const gmm = GaussianMixture.fit(constant, { clusters: 3, rng: new Rng(1) });
  assert.ok(Number.isFinite(gmm.logLikelihood));
  assert.throws(
    () =>
      GaussianMixture.fit([Float64Array.from([1]), Float64Array.from([1, 2])], {
        clusters: 1,
        rng: new Rng(1),
      }),
    /point 1 has 2 entries/,
  );
});
