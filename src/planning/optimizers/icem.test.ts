import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IcemOptimizer } from './icem.js';
import type { SequenceObjective, SequenceSpace } from './optimizer.js';
import {
  checkResultShape,
  constantSequence,
  maxAbsDiff,
  movingTarget,
  Quadratic,
  Recording,
  testSpace,
} from './testing.js';

const space = testSpace(); // horizon 10, actionDim 2, bounds [-1, 1] x [-1, 2]
const len = space.horizon * space.actionDim;
/** More samples and elites than the real-time defaults, so the test converges tightly. */
const thorough = { population: 400, elites: 40, iterations: 30 };

describe('IcemOptimizer', () => {
  it('finds the minimum of a shifted quadratic to within 0.1 per entry', () => {
    const target = constantSequence(space, [0.3, -0.4]);
    for (const seed of [1, 2, 3]) {
      const result = new IcemOptimizer(space, thorough, seed).optimize(new Quadratic(target));
      checkResultShape(result, space);
      assert.ok(
        maxAbsDiff(result.sequence, target) < 0.1,
        `seed ${seed}: ${maxAbsDiff(result.sequence, target)}`,
      );
      // executeBest: the sequence is a scored sample, so its cost is known.
      assert.ok(Math.abs(new Quadratic(target).costOf(result.sequence) - result.cost) < 1e-4);
    }
  });

  it('with the real-time defaults (10 iterations) cuts the cost to under 3% of the initial guess', () => {
    const quad = new Quadratic(constantSequence(space, [0.3, -0.4]));
    const initial = quad.costOf(constantSequence(space, [0, 0.5])); // 9
    const result = new IcemOptimizer(space, { iterations: 10 }, 1).optimize(quad);
    assert.ok(result.cost < 0.03 * initial, `cost ${result.cost}`);
  });

  it('keeps every candidate inside the bounds and ends on the bound when the optimum lies outside', () => {
    const target = constantSequence(space, [1.5, -2]);
    const corner = constantSequence(space, [1, -1]);
    for (const seed of [1, 2, 3]) {
      const rec = new Recording(new Quadratic(target), space);
      const result = new IcemOptimizer(space, thorough, seed).optimize(rec);
      assert.equal(rec.outOfBounds, 0);
      assert.ok(rec.evaluations > 0);
      assert.ok(
        maxAbsDiff(result.sequence, corner) < 0.1,
        `seed ${seed}: ${maxAbsDiff(result.sequence, corner)}`,
      );
    }
  });

  it('is deterministic for a seed (and the seed matters)', () => {
    const quad = new Quadratic(movingTarget(space, 0));
    const run = (seed: number) => {
      const icem = new IcemOptimizer(space, {}, seed);
      const first = icem.optimize(quad).sequence.slice();
      icem.shift(1);
      return [first, icem.optimize(quad).sequence.slice()];
    };
    assert.deepEqual(run(5), run(5));
    assert.notDeepEqual(run(5), run(6));
  });

  it('runs exactly one iteration when the deadline has already passed', () => {
    const rec = new Recording(new Quadratic(movingTarget(space, 0)), space);
    const result = new IcemOptimizer(space, { iterations: 20 }, 1).optimize(rec, {
      deadline: performance.now() - 1,
    });
    assert.equal(result.iterations, 1);
    assert.equal(rec.calls, 1);
    assert.equal(result.evaluations, 200);
  });

  it('starts no iteration after the deadline with a slow objective', () => {
    const rec = new Recording(new Quadratic(movingTarget(space, 0)), space, { delayMs: 10 });
    const deadline = performance.now() + 35;
    const result = new IcemOptimizer(space, { iterations: 50 }, 1).optimize(rec, { deadline });
    assert.equal(result.iterations, rec.calls);
    assert.ok(rec.calls >= 1 && rec.calls < 50, `${rec.calls} iterations`);
    assert.ok(rec.honoured(deadline), `ends ${rec.endTimes} vs deadline ${deadline}`);
  });

  it('shrinks the population by gamma, adds kept elites after the first iteration and the mean at the last', () => {
    const icem = new IcemOptimizer(space, {}, 1);
    assert.deepEqual([...icem.populationSchedule], [200, 160, 128]); // N_i = max(ceil(200 * 1.25^-i), 20)
    assert.equal(icem.keptElites, 3); // ceil(0.3 * 10)
    const rec = new Recording(new Quadratic(movingTarget(space, 0)), space);
    icem.optimize(rec);
    assert.deepEqual(rec.populations, [200, 160 + 3, 128 + 3 + 1]);
    const noMean = new Recording(new Quadratic(movingTarget(space, 0)), space);
    new IcemOptimizer(space, { addMeanAtLastIteration: false, populationDecay: 1e6 }, 1).optimize(noMean);
    assert.deepEqual(noMean.populations, [200, 20 + 3, 20 + 3]); // floor 2K = 20
  });

  it("carries the previous iteration's cheapest elites into the next iteration", () => {
    const quad = new Quadratic(movingTarget(space, 0));
    const rec = new Recording(quad, space, { keepCandidates: true });
    new IcemOptimizer(space, { iterations: 2 }, 3).optimize(rec);
    const [first, second] = rec.candidates;
    const costs = Array.from({ length: 200 }, (_, p) => quad.costOf(first.subarray(p * len, (p + 1) * len)));
    const cheapest = costs
      .map((c, p) => [c, p])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .slice(0, 3)
      .map(([, p]) => first.subarray(p * len, (p + 1) * len));
    // The fresh samples come first (160), then the 3 kept elites, cheapest first, then the mean.
    for (let r = 0; r < 3; r++)
      assert.deepEqual(second.subarray((160 + r) * len, (161 + r) * len), cheapest[r]);
  });

  it('after shift(1) the next first iteration contains the shifted best elite with a fresh in-bounds tail', () => {
    const icem = new IcemOptimizer(space, {}, 4);
    const best = icem.optimize(new Quadratic(movingTarget(space, 0))).sequence.slice();
    icem.shift(1);
    const rec = new Recording(new Quadratic(movingTarget(space, 1)), space, { keepCandidates: true });
    icem.optimize(rec);
    assert.equal(rec.populations[0], 200 + 3);
    const kept = rec.candidates[0].subarray(200 * len, 201 * len);
    const d = space.actionDim;
    assert.deepEqual(kept.subarray(0, len - d), best.subarray(d));
    // The shifted-in last step is fresh noise, not the stale last step left by the shift.
    assert.notDeepEqual(kept.subarray(len - d), best.subarray(len - d));
    assert.equal(rec.outOfBounds, 0);
    // After reset() nothing is carried over.
    icem.reset();
    const fresh = new Recording(new Quadratic(movingTarget(space, 1)), space);
    icem.optimize(fresh);
    assert.equal(fresh.populations[0], 200);
  });

  it('shift moves the warm start left and fills the tail with the midpoint; shift(horizon) resets', () => {
    const icem = new IcemOptimizer(space, {}, 3);
    icem.optimize(new Quadratic(movingTarget(space, 0)));
    const before = icem.warmStart.slice();
    icem.shift(3);
    const d = space.actionDim;
    assert.deepEqual(icem.warmStart.subarray(0, len - 3 * d), before.subarray(3 * d));
    assert.deepEqual([...icem.warmStart.subarray(len - d)], [0, 0.5]);
    icem.shift(space.horizon + 5);
    assert.deepEqual(icem.warmStart, constantSequence(space, [0, 0.5]));
    const rec = new Recording(new Quadratic(movingTarget(space, 1)), space);
    icem.optimize(rec);
    assert.equal(rec.populations[0], 200); // no elites survive a full-horizon shift
    assert.throws(() => icem.shift(-2), /icem\.shift: steps must be a non-negative integer, got -2/);
  });

  it('warm start after shift(1) reaches a cost threshold in fewer iterations than from reset', () => {
    for (const seed of [1, 2, 3]) {
      const iterationsTo = (warm: boolean) => {
        const icem = new IcemOptimizer(space, { iterations: 30 }, seed);
        icem.optimize(new Quadratic(movingTarget(space, 0)));
        if (warm) icem.shift(1);
        else icem.reset();
        const rec = new Recording(new Quadratic(movingTarget(space, 1)), space);
        icem.optimize(rec);
        return rec.callsUntilBelow(0.1);
      };
      const warm = iterationsTo(true);
      const cold = iterationsTo(false);
      assert.ok(warm < cold, `seed ${seed}: warm ${warm} vs cold ${cold} iterations`);
    }
  });

  it('returns the clipped mean with cost NaN when executeBest is false', () => {
    const icem = new IcemOptimizer(space, { executeBest: false }, 2);
    const result = icem.optimize(new Quadratic(movingTarget(space, 0)));
    assert.ok(Number.isNaN(result.cost));
    assert.ok(Number.isFinite(result.bestCost));
    assert.deepEqual(result.sequence, Float32Array.from(icem.warmStart));
  });

  it('treats non-finite costs as worst', () => {
    const quad = new Quadratic(constantSequence(space, [0.5, 1.5]));
    const objective: SequenceObjective = {
      evaluate(x, n, costs) {
        quad.evaluate(x, n, costs);
        for (let p = 0; p < n; p++) {
          if (x[p * len] > 0) costs[p] = NaN;
          else if (x[p * len + 1] > 1) costs[p] = -Infinity;
        }
      },
    };
    const result = new IcemOptimizer(space, { iterations: 6 }, 2).optimize(objective);
    assert.ok(result.sequence[0] <= 0 && result.sequence[1] <= 1);
    // Still optimised among the finite candidates (the allowed optimum costs 0.25 + 0.25).
    assert.ok(Number.isFinite(result.cost) && result.cost < 3, `cost ${result.cost}`);
  });

  it('samples colored noise: white for beta = 0, strongly correlated for beta = 2, unit variance', () => {
    // Bounds far away, so nothing is clipped and the first population is mean + std * noise.
    const wide: SequenceSpace = {
      horizon: 16,
      actionDim: 2,
      low: Float32Array.from([-100, -100]),
      high: Float32Array.from([100, 100]),
    };
    const stats = (beta: number) => {
      const rec = new Recording(new Quadratic(new Float64Array(32)), wide, { keepCandidates: true });
      new IcemOptimizer(wide, { population: 2000, beta, initialStd: 2, iterations: 1 }, 9).optimize(rec);
      const x = rec.candidates[0];
      let sq = 0;
      let lag = 0;
      let lagSq = 0;
      for (let p = 0; p < 2000; p++)
        for (let j = 0; j < 2; j++)
          for (let t = 0; t < 16; t++) {
            const z = x[p * 32 + t * 2 + j] / 2; // midpoint 0, std 2
            sq += z * z;
            if (t + 1 < 16) {
              lag += z * (x[p * 32 + (t + 1) * 2 + j] / 2);
              lagSq += z * z;
            }
          }
      return { variance: sq / (2000 * 2 * 16), lag1: lag / lagSq };
    };
    const white = stats(0);
    const pink = stats(2);
    assert.ok(Math.abs(white.lag1) < 0.03, `beta 0 lag-1 ${white.lag1}`);
    assert.ok(pink.lag1 > 0.5, `beta 2 lag-1 ${pink.lag1}`);
    assert.ok(Math.abs(white.variance - 1) < 0.05, `beta 0 variance ${white.variance}`);
    assert.ok(Math.abs(pink.variance - 1) < 0.1, `beta 2 variance ${pink.variance}`);
  });

  it('rejects bad options and spaces, naming the option', () => {
    assert.throws(
      () => new IcemOptimizer(space, { population: -5 }, 1),
      /icem\.population: must be a positive integer, got -5/,
    );
    assert.throws(
      () => new IcemOptimizer(space, { elites: 300 }, 1),
      /icem\.elites: must be <= population \(200\), got 300/,
    );
    assert.throws(
      () => new IcemOptimizer(space, { beta: -1 }, 1),
      /icem\.beta: must be a finite number >= 0, got -1/,
    );
    assert.throws(
      () => new IcemOptimizer(space, { populationDecay: 0.5 }, 1),
      /icem\.populationDecay: must be a finite number >= 1/,
    );
    assert.throws(
      () => new IcemOptimizer(space, { keepEliteFraction: 2 }, 1),
      /icem\.keepEliteFraction: must be a finite number in \[0, 1\]/,
    );
    assert.throws(
      () => new IcemOptimizer(space, { executeBest: 'yes' } as unknown as Record<string, never>, 1),
      /icem\.executeBest: must be true or false/,
    );
    assert.throws(
      () => new IcemOptimizer({ ...space, horizon: 0 }, {}, 1),
      /icem space\.horizon: must be an integer >= 1, got 0/,
    );
    assert.throws(
      () => new IcemOptimizer({ ...space, low: Float32Array.from([-1]) }, {}, 1),
      /icem space\.low: must have actionDim = 2 entries, got 1/,
    );
  });

  it('applies the documented defaults', () => {
    const icem = new IcemOptimizer(space, {}, 1);
    assert.deepEqual(icem.options, {
      population: 200,
      elites: 10,
      iterations: 3,
      beta: 2,
      populationDecay: 1.25,
      keepEliteFraction: 0.3,
      alpha: 0.1,
      addMeanAtLastIteration: true,
      executeBest: true,
    });
  });
});

it('icem: maxPopulation bounds every population the objective receives', () => {
  const space = { horizon: 5, actionDim: 1, low: Float32Array.of(-1), high: Float32Array.of(1) };
  const opt = new IcemOptimizer(space, { population: 20, elites: 5, iterations: 4 }, 1);
  let largest = 0;
  const objective = {
    evaluate: (_c: Float32Array, n: number, costs: Float32Array) => {
      largest = Math.max(largest, n);
      for (let i = 0; i < n; i++) costs[i] = i;
    },
  };
  for (let t = 0; t < 4; t++) {
    opt.optimize(objective);
    opt.shift(1);
  }
  assert.ok(largest > 20, 'kept elites and the mean join the fresh samples');
  assert.ok(largest <= opt.maxPopulation, `${largest} > ${opt.maxPopulation}`);
});
