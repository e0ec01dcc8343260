import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SequenceSpace } from './optimizer.js';
import { RandomShootingOptimizer } from './random-shooting.js';
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

describe('RandomShootingOptimizer', () => {
  it('returns the cheapest sample with its cost, well below a typical sample', () => {
    // Uniform sampling in 20 dimensions cannot get close to the minimum; the looser criterion is
    // that the best of 1000 costs under half of a uniform sample's expected cost.
    const target = constantSequence(space, [0.3, -0.4]);
    const quad = new Quadratic(target);
    const rec = new Recording(quad, space);
    const result = new RandomShootingOptimizer(space, {}, 1).optimize(rec);
    checkResultShape(result, space);
    assert.equal(result.cost, rec.bestCostPerCall[0]);
    assert.ok(Math.abs(quad.costOf(result.sequence) - result.cost) < 1e-4);
    // E[(u - c)^2] for u ~ U(lo, hi) is (hi - lo)^2 / 12 + (mid - c)^2, per entry.
    const expected = space.horizon * (4 / 12 + 0.3 ** 2 + 9 / 12 + 0.9 ** 2);
    assert.ok(result.cost < 0.5 * expected, `cost ${result.cost} vs typical ${expected}`);
  });

  it('finds the minimum of a shifted quadratic on a short horizon to within 0.15 per entry', () => {
    const short = testSpace(1);
    const target = constantSequence(short, [0.3, -0.4]);
    for (const seed of [1, 2, 3]) {
      const result = new RandomShootingOptimizer(short, {}, seed).optimize(new Quadratic(target));
      assert.ok(
        maxAbsDiff(result.sequence, target) < 0.15,
        `seed ${seed}: ${maxAbsDiff(result.sequence, target)}`,
      );
    }
  });

  it('keeps every candidate inside the bounds and ends near the bound when the optimum lies outside', () => {
    const short = testSpace(1);
    const rec = new Recording(new Quadratic(constantSequence(short, [1.5, -2])), short);
    const result = new RandomShootingOptimizer(short, { population: 2000 }, 2).optimize(rec);
    assert.equal(rec.outOfBounds, 0);
    assert.equal(rec.evaluations, 2000);
    // Uniform samples never land exactly on the bound: within 0.2 of the corner (1, -1).
    assert.ok(maxAbsDiff(result.sequence, [1, -1]) < 0.2, `${[...result.sequence]}`);
    const many = new Recording(new Quadratic(constantSequence(space, [1.5, -2])), space);
    new RandomShootingOptimizer(space, {}, 3).optimize(many);
    assert.equal(many.outOfBounds, 0);
  });

  it('is deterministic for a seed (and the seed matters)', () => {
    const quad = new Quadratic(movingTarget(space, 0));
    const run = (seed: number) =>
      new RandomShootingOptimizer(space, { population: 50 }, seed).optimize(quad).sequence.slice();
    assert.deepEqual(run(4), run(4));
    assert.notDeepEqual(run(4), run(5));
  });

  it('always runs exactly one iteration, even with the deadline passed', () => {
    const rec = new Recording(new Quadratic(movingTarget(space, 0)), space);
    const result = new RandomShootingOptimizer(space, { population: 30 }, 1).optimize(rec, {
      deadline: performance.now() - 1,
    });
    assert.deepEqual([result.iterations, result.evaluations, rec.calls], [1, 30, 1]);
  });

  it('never picks a non-finite cost', () => {
    const quad = new Quadratic(constantSequence(space, [0.5, 1.5]));
    const len = space.horizon * space.actionDim;
    const result = new RandomShootingOptimizer(space, {}, 6).optimize({
      evaluate(x, n, costs) {
        quad.evaluate(x, n, costs);
        for (let p = 0; p < n; p++) if (x[p * len] > 0) costs[p] = p % 2 === 0 ? NaN : -Infinity;
      },
    });
    assert.ok(result.sequence[0] <= 0);
    assert.ok(Number.isFinite(result.cost));
  });

  it('validates shift() and tolerates reset()', () => {
    const rs = new RandomShootingOptimizer(space, {}, 1);
    rs.shift(1);
    rs.shift(100);
    rs.reset();
    assert.throws(() => rs.shift(-1), /random_shooting\.shift: steps must be a non-negative integer/);
  });

  it('rejects bad options and spaces, naming the option', () => {
    assert.throws(
      () => new RandomShootingOptimizer(space, { population: -5 }, 1),
      /random_shooting\.population: must be a positive integer, got -5/,
    );
    assert.throws(
      () => new RandomShootingOptimizer(space, { population: 1.5 }, 1),
      /random_shooting\.population/,
    );
    const bad: SequenceSpace = { ...space, horizon: 0 };
    assert.throws(
      () => new RandomShootingOptimizer(bad, {}, 1),
      /random_shooting space\.horizon: must be an integer >= 1, got 0/,
    );
    assert.throws(
      () => new RandomShootingOptimizer({ ...space, low: Float32Array.from([-1, Number.NaN]) }, {}, 1),
      /random_shooting space\.low\/high\[1\]: bounds must be finite/,
    );
  });

  it('defaults to a population of 1000', () => {
    assert.deepEqual(new RandomShootingOptimizer(space, {}, 1).options, { population: 1000 });
  });
});
