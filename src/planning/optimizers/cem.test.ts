import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CemOptimizer } from './cem.js';
import type { SequenceObjective } from './optimizer.js';
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

describe('CemOptimizer', () => {
  it('finds the minimum of a shifted quadratic to within 0.05 per entry', () => {
    const target = constantSequence(space, [0.3, -0.4]);
    for (const seed of [1, 2, 3]) {
      const cem = new CemOptimizer(space, { iterations: 30 }, seed);
      const result = cem.optimize(new Quadratic(target));
      checkResultShape(result, space);
      assert.ok(
        maxAbsDiff(result.sequence, target) < 0.05,
        `seed ${seed}: ${maxAbsDiff(result.sequence, target)}`,
      );
      // The executed mean is not scored, so its cost is unknown; the best sample's cost is.
      assert.ok(Number.isNaN(result.cost));
      assert.ok(result.bestCost < 0.05);
    }
  });

  it('returns the best sample with its cost when returnMeanElites is false', () => {
    const quad = new Quadratic(movingTarget(space, 0));
    const result = new CemOptimizer(space, { iterations: 20, returnMeanElites: false }, 4).optimize(quad);
    assert.equal(result.cost, result.bestCost);
    assert.ok(Math.abs(quad.costOf(result.sequence) - result.cost) < 1e-4);
    assert.ok(result.cost < 0.05, `cost ${result.cost}`);
  });

  it('keeps every candidate inside the bounds and ends on the bound when the optimum lies outside', () => {
    const target = constantSequence(space, [1.5, -2]); // the box's corner (1, -1) is the constrained optimum
    const corner = constantSequence(space, [1, -1]);
    for (const seed of [1, 2, 3]) {
      const rec = new Recording(new Quadratic(target), space);
      const result = new CemOptimizer(space, { iterations: 40 }, seed).optimize(rec);
      assert.equal(rec.outOfBounds, 0);
      assert.ok(rec.evaluations > 0);
      checkResultShape(result, space);
      assert.ok(
        maxAbsDiff(result.sequence, corner) < 0.15,
        `seed ${seed}: ${maxAbsDiff(result.sequence, corner)}`,
      );
    }
  });

  it('is deterministic for a seed (and the seed matters)', () => {
    const quad = new Quadratic(movingTarget(space, 0));
    const a = new CemOptimizer(space, {}, 7).optimize(quad);
    const b = new CemOptimizer(space, {}, 7).optimize(quad);
    const c = new CemOptimizer(space, {}, 8).optimize(quad);
    assert.deepEqual(a.sequence, b.sequence);
    assert.equal(a.bestCost, b.bestCost);
    assert.notDeepEqual(a.sequence, c.sequence);
  });

  it('runs exactly one iteration when the deadline has already passed', () => {
    const rec = new Recording(new Quadratic(movingTarget(space, 0)), space);
    const result = new CemOptimizer(space, { iterations: 20 }, 1).optimize(rec, {
      deadline: performance.now() - 1,
    });
    assert.equal(result.iterations, 1);
    assert.equal(rec.calls, 1);
    assert.equal(result.evaluations, 400);
  });

  it('starts no iteration after the deadline with a slow objective', () => {
    const rec = new Recording(new Quadratic(movingTarget(space, 0)), space, { delayMs: 10 });
    const deadline = performance.now() + 35;
    const result = new CemOptimizer(space, { iterations: 50, minStd: 0 }, 1).optimize(rec, { deadline });
    assert.equal(result.iterations, rec.calls);
    assert.ok(rec.calls >= 1 && rec.calls < 50, `${rec.calls} iterations`);
    assert.ok(rec.honoured(deadline), `ends ${rec.endTimes} vs deadline ${deadline}`);
  });

  it('stops early once every std is below minStd', () => {
    const rec = new Recording(new Quadratic(constantSequence(space, [0.3, -0.4])), space);
    const result = new CemOptimizer(space, { iterations: 200, minStd: 1e-2 }, 1).optimize(rec);
    assert.ok(result.iterations < 200, `${result.iterations} iterations`);
    assert.equal(rec.calls, result.iterations);
  });

  it('treats non-finite costs as worst', () => {
    // The quadratic pulls entry 0 of every step to 0.5, but any candidate with entry 0 > 0 of the
    // first step costs NaN and with entry 1 > 1 costs -Infinity: the answer must avoid both.
    const quad = new Quadratic(constantSequence(space, [0.5, 1.5]));
    const objective: SequenceObjective = {
      evaluate(x, n, costs) {
        quad.evaluate(x, n, costs);
        const len = space.horizon * space.actionDim;
        for (let p = 0; p < n; p++) {
          if (x[p * len] > 0) costs[p] = NaN;
          else if (x[p * len + 1] > 1) costs[p] = -Infinity;
        }
      },
    };
    const result = new CemOptimizer(space, { iterations: 10, returnMeanElites: false }, 2).optimize(
      objective,
    );
    assert.ok(result.sequence[0] <= 0 && result.sequence[1] <= 1);
    assert.ok(Number.isFinite(result.cost));
  });

  it('shift moves the warm start left and fills the tail with the midpoint; shift(horizon) resets', () => {
    const cem = new CemOptimizer(space, { iterations: 5 }, 3);
    cem.optimize(new Quadratic(movingTarget(space, 0)));
    const before = cem.warmStart.slice();
    cem.shift(2);
    const after = cem.warmStart;
    const d = space.actionDim;
    assert.deepEqual(after.subarray(0, (space.horizon - 2) * d), before.subarray(2 * d));
    for (let t = space.horizon - 2; t < space.horizon; t++)
      assert.deepEqual([...after.subarray(t * d, t * d + d)], [0, 0.5]);
    cem.shift(0);
    assert.deepEqual(cem.warmStart.slice(), after.slice());
    cem.shift(space.horizon);
    assert.deepEqual(cem.warmStart, constantSequence(space, [0, 0.5]));
    assert.throws(() => cem.shift(-1), /cem\.shift: steps must be a non-negative integer, got -1/);
    assert.throws(() => cem.shift(1.5), /cem\.shift/);
  });

  it('warm start after shift(1) reaches a cost threshold in fewer iterations than from reset', () => {
    for (const seed of [1, 2, 3]) {
      const iterationsTo = (warm: boolean) => {
        const cem = new CemOptimizer(space, { iterations: 30, minStd: 0 }, seed);
        cem.optimize(new Quadratic(movingTarget(space, 0)));
        if (warm) cem.shift(1);
        else cem.reset();
        // The target moved on one step, as the plan did.
        const rec = new Recording(new Quadratic(movingTarget(space, 1)), space);
        cem.optimize(rec);
        return { calls: rec.callsUntilBelow(0.3), first: rec.bestCostPerCall[0] };
      };
      const warm = iterationsTo(true);
      const cold = iterationsTo(false);
      assert.ok(warm.calls < cold.calls, `seed ${seed}: warm ${warm.calls} vs cold ${cold.calls} iterations`);
      assert.ok(warm.first < cold.first);
    }
  });

  it('rejects bad options and spaces, naming the option', () => {
    assert.throws(
      () => new CemOptimizer(space, { population: -5 }, 1),
      /cem\.population: must be a positive integer, got -5/,
    );
    assert.throws(
      () => new CemOptimizer(space, { elites: 500 }, 1),
      /cem\.elites: must be <= population \(400\), got 500/,
    );
    assert.throws(
      () => new CemOptimizer(space, { iterations: 0 }, 1),
      /cem\.iterations: must be a positive integer/,
    );
    assert.throws(
      () => new CemOptimizer(space, { alpha: 1 }, 1),
      /cem\.alpha: must be a finite number in \[0, 1\), got 1/,
    );
    assert.throws(
      () => new CemOptimizer(space, { initialStd: -1 }, 1),
      /cem\.initialStd: must be a positive number/,
    );
    assert.throws(
      () => new CemOptimizer(space, { initialStd: [1, 2, 3] }, 1),
      /cem\.initialStd: expected 2 entries/,
    );
    assert.throws(
      () => new CemOptimizer(space, { populaton: 10 } as unknown as Record<string, never>, 1),
      /cem\.populaton: unknown option/,
    );
    assert.throws(
      () => new CemOptimizer({ ...space, horizon: 0 }, {}, 1),
      /cem space\.horizon: must be an integer >= 1, got 0/,
    );
    assert.throws(
      () => new CemOptimizer({ ...space, actionDim: 3 }, {}, 1),
      /cem space\.low: must have actionDim = 3 entries, got 2/,
    );
    assert.throws(
      () => new CemOptimizer({ ...space, high: Float32Array.from([1, -1]) }, {}, 1),
      /cem space\.low\/high\[1\]: low must be < high/,
    );
  });

  it('applies the documented defaults', () => {
    const cem = new CemOptimizer(space, {}, 1);
    assert.deepEqual(cem.options, {
      population: 400,
      elites: 40,
      iterations: 5,
      alpha: 0.1,
      minStd: 1e-3,
      returnMeanElites: true,
    });
    assert.deepEqual(cem.warmStart, constantSequence(space, [0, 0.5]));
  });
});
