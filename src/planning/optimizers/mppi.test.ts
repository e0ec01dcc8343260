import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MppiOptimizer } from './mppi.js';
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

describe('MppiOptimizer', () => {
  it('finds the minimum of a shifted quadratic to within 0.3 per entry (the default noise floor)', () => {
    // With a fixed sigma of (high - low) / 4 and lambda = 1 the weighted mean keeps a sampling
    // error of about sigma / sqrt(effective samples), hence the looser tolerance than CEM.
    const target = constantSequence(space, [0.3, -0.4]);
    const quad = new Quadratic(target);
    for (const seed of [1, 2, 3]) {
      const result = new MppiOptimizer(space, { iterations: 30 }, seed).optimize(quad);
      checkResultShape(result, space);
      assert.ok(
        maxAbsDiff(result.sequence, target) < 0.3,
        `seed ${seed}: ${maxAbsDiff(result.sequence, target)}`,
      );
      assert.ok(quad.costOf(result.sequence) < 0.4, `seed ${seed}: cost ${quad.costOf(result.sequence)}`);
      assert.ok(Number.isNaN(result.cost)); // U itself is not scored
      assert.ok(result.weightedCost >= result.minCost);
    }
  });

  it('implements the weighted update U <- U + sum_k w_k (cand_k - U), w_k ~ exp(-(S_k - min S) / lambda)', () => {
    const tiny: SequenceSpace = {
      horizon: 2,
      actionDim: 1,
      low: Float32Array.from([-10]),
      high: Float32Array.from([10]),
    };
    const lambda = 0.7;
    const mppi = new MppiOptimizer(tiny, { population: 5, temperature: lambda, sigma: 1 }, 3);
    const seen: number[][] = [];
    const costsSeen: number[] = [];
    const objective: SequenceObjective = {
      evaluate(x, n, costs) {
        for (let p = 0; p < n; p++) {
          seen.push([x[2 * p], x[2 * p + 1]]);
          // Candidate 2 diverges: its weight must be zero.
          costs[p] = p === 2 ? NaN : x[2 * p] + 2 * x[2 * p + 1];
          costsSeen.push(p === 2 ? Infinity : costs[p]);
        }
      },
    };
    const result = mppi.optimize(objective);
    const min = Math.min(...costsSeen);
    const w = costsSeen.map((c) => Math.exp(-(c - min) / lambda));
    const eta = w.reduce((a, b) => a + b, 0);
    for (let e = 0; e < 2; e++) {
      const expected = seen.reduce((acc, cand, k) => acc + (w[k] * cand[e]) / eta, 0);
      assert.ok(
        Math.abs(result.sequence[e] - expected) < 1e-5,
        `entry ${e}: ${result.sequence[e]} vs ${expected}`,
      );
    }
    const weighted = costsSeen.reduce((acc, c, k) => acc + (w[k] > 0 ? (w[k] * c) / eta : 0), 0);
    assert.ok(Math.abs(result.weightedCost - weighted) < 1e-5);
    assert.equal(result.minCost, min);
  });

  it('keeps U when every rollout diverges', () => {
    const mppi = new MppiOptimizer(space, {}, 1);
    const result = mppi.optimize({ evaluate: (_x, n, costs) => costs.fill(NaN, 0, n) });
    assert.deepEqual(mppi.warmStart, constantSequence(space, [0, 0.5]));
    assert.equal(result.weightedCost, Infinity);
  });

  it('keeps every candidate inside the bounds and ends on the bound when the optimum lies outside', () => {
    const target = constantSequence(space, [1.5, -2]);
    const corner = constantSequence(space, [1, -1]);
    for (const seed of [1, 2, 3]) {
      const rec = new Recording(new Quadratic(target), space);
      const result = new MppiOptimizer(space, { iterations: 30 }, seed).optimize(rec);
      assert.equal(rec.outOfBounds, 0);
      assert.equal(rec.calls, 30);
      assert.ok(
        maxAbsDiff(result.sequence, corner) < 0.25,
        `seed ${seed}: ${maxAbsDiff(result.sequence, corner)}`,
      );
    }
  });

  it('is deterministic for a seed (and the seed matters)', () => {
    const quad = new Quadratic(movingTarget(space, 0));
    const run = (seed: number) => new MppiOptimizer(space, { iterations: 3 }, seed).optimize(quad).sequence;
    assert.deepEqual(run(11), run(11));
    assert.notDeepEqual(run(11), run(12));
  });

  it('runs exactly one iteration when the deadline has already passed', () => {
    const rec = new Recording(new Quadratic(movingTarget(space, 0)), space);
    const result = new MppiOptimizer(space, { iterations: 20 }, 1).optimize(rec, {
      deadline: performance.now() - 1,
    });
    assert.equal(result.iterations, 1);
    assert.equal(rec.calls, 1);
    assert.equal(result.evaluations, 500);
  });

  it('starts no iteration after the deadline with a slow objective', () => {
    const rec = new Recording(new Quadratic(movingTarget(space, 0)), space, { delayMs: 10 });
    const deadline = performance.now() + 35;
    const result = new MppiOptimizer(space, { iterations: 50 }, 1).optimize(rec, { deadline });
    assert.equal(result.iterations, rec.calls);
    assert.ok(rec.calls >= 1 && rec.calls < 50, `${rec.calls} iterations`);
    assert.ok(rec.honoured(deadline), `ends ${rec.endTimes} vs deadline ${deadline}`);
  });

  it('shift moves U left and fills the tail with the midpoint; shift(horizon) resets', () => {
    const mppi = new MppiOptimizer(space, { iterations: 5 }, 3);
    mppi.optimize(new Quadratic(movingTarget(space, 0)));
    const before = mppi.warmStart.slice();
    mppi.shift(1);
    const d = space.actionDim;
    assert.deepEqual(mppi.warmStart.subarray(0, len - d), before.subarray(d));
    assert.deepEqual([...mppi.warmStart.subarray(len - d)], [0, 0.5]);
    mppi.shift(space.horizon);
    assert.deepEqual(mppi.warmStart, constantSequence(space, [0, 0.5]));
    assert.throws(() => mppi.shift(-1), /mppi\.shift: steps must be a non-negative integer, got -1/);
  });

  it('warm start after shift(1) reaches a cost threshold in fewer iterations than from reset', () => {
    for (const seed of [1, 2, 3]) {
      const iterationsTo = (warm: boolean) => {
        // One iteration per optimize() as in MPC: U carries over between calls.
        const mppi = new MppiOptimizer(space, { iterations: 1 }, seed);
        const before = new Quadratic(movingTarget(space, 0));
        for (let i = 0; i < 30; i++) mppi.optimize(before);
        if (warm) mppi.shift(1);
        else mppi.reset();
        const after = new Quadratic(movingTarget(space, 1));
        for (let i = 1; i <= 20; i++) {
          mppi.optimize(after);
          if (after.costOf(mppi.warmStart) < 0.5) return i;
        }
        return Infinity;
      };
      const warm = iterationsTo(true);
      const cold = iterationsTo(false);
      assert.ok(warm < cold, `seed ${seed}: warm ${warm} vs cold ${cold} iterations`);
    }
  });

  it('correlates the noise along time by `smoothing` and keeps its std at sigma', () => {
    const wide: SequenceSpace = {
      horizon: 16,
      actionDim: 1,
      low: Float32Array.from([-100]),
      high: Float32Array.from([100]),
    };
    const stats = (smoothing: number) => {
      const rec = new Recording(new Quadratic(new Float64Array(16)), wide, { keepCandidates: true });
      new MppiOptimizer(wide, { population: 3000, sigma: 2, smoothing }, 5).optimize(rec);
      const x = rec.candidates[0];
      let sq = 0;
      let lag = 0;
      let lagSq = 0;
      for (let p = 0; p < 3000; p++)
        for (let t = 0; t < 16; t++) {
          const z = x[p * 16 + t] / 2; // U = 0, sigma = 2
          sq += z * z;
          if (t < 15) {
            lag += z * (x[p * 16 + t + 1] / 2);
            lagSq += z * z;
          }
        }
      return { variance: sq / (3000 * 16), lag1: lag / lagSq };
    };
    const white = stats(0);
    const smooth = stats(0.6);
    assert.ok(Math.abs(white.lag1) < 0.03, `smoothing 0: lag-1 ${white.lag1}`);
    assert.ok(Math.abs(smooth.lag1 - 0.6) < 0.05, `smoothing 0.6: lag-1 ${smooth.lag1}`);
    assert.ok(Math.abs(white.variance - 1) < 0.05 && Math.abs(smooth.variance - 1) < 0.05);
  });

  it('rejects bad options and spaces, naming the option', () => {
    assert.throws(
      () => new MppiOptimizer(space, { temperature: 0 }, 1),
      /mppi\.temperature \(lambda\): must be a finite number > 0, got 0/,
    );
    assert.throws(() => new MppiOptimizer(space, { temperature: -1 }, 1), /mppi\.temperature \(lambda\)/);
    assert.throws(
      () => new MppiOptimizer(space, { population: -5 }, 1),
      /mppi\.population: must be a positive integer, got -5/,
    );
    assert.throws(
      () => new MppiOptimizer(space, { smoothing: 1 }, 1),
      /mppi\.smoothing: must be a finite number in \[0, 1\), got 1/,
    );
    assert.throws(() => new MppiOptimizer(space, { sigma: [0.1] }, 1), /mppi\.sigma: expected 2 entries/);
    assert.throws(() => new MppiOptimizer(space, { sigma: 0 }, 1), /mppi\.sigma: must be a positive number/);
    assert.throws(
      () => new MppiOptimizer({ ...space, horizon: 0 }, {}, 1),
      /mppi space\.horizon: must be an integer >= 1, got 0/,
    );
    assert.throws(() => new MppiOptimizer({ ...space, horizon: 2.5 }, {}, 1), /mppi space\.horizon/);
  });

  it('applies the documented defaults', () => {
    const mppi = new MppiOptimizer(space, {}, 1);
    assert.deepEqual(mppi.options, { population: 500, iterations: 1, temperature: 1, smoothing: 0.6 });
    assert.deepEqual(mppi.warmStart, constantSequence(space, [0, 0.5]));
  });
});
