import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CemOptimizer,
  createOptimizer,
  IcemOptimizer,
  MppiOptimizer,
  OptimizerConfigError,
  OptimizerConfigSchema,
  RandomShootingOptimizer,
  type OptimizerConfig,
} from './index.js';
import { constantSequence, Quadratic, testSpace } from './testing.js';

const space = testSpace();

describe('createOptimizer', () => {
  it('builds each optimizer type with its options', () => {
    const cases: [OptimizerConfig, new (...args: never[]) => unknown, string][] = [
      [{ type: 'random_shooting', population: 10 }, RandomShootingOptimizer, 'random_shooting'],
      [{ type: 'cem', population: 50, elites: 5 }, CemOptimizer, 'cem'],
      [{ type: 'icem', beta: 1 }, IcemOptimizer, 'icem'],
      [{ type: 'mppi', temperature: 0.5 }, MppiOptimizer, 'mppi'],
    ];
    for (const [config, cls, name] of cases) {
      const optimizer = createOptimizer(config, space, 1);
      assert.ok(optimizer instanceof cls);
      assert.equal(optimizer.name, name);
      const result = optimizer.optimize(new Quadratic(constantSequence(space, [0.2, 0.2])));
      assert.equal(result.sequence.length, 20);
      assert.ok(result.iterations >= 1);
    }
    assert.equal(
      (createOptimizer({ type: 'cem', population: 50, elites: 5 }, space, 1) as CemOptimizer).options
        .population,
      50,
    );
  });

  it('reports a bad option under the optimizer name', () => {
    assert.throws(
      () => createOptimizer({ type: 'cem', population: -5 }, space, 1),
      /cem\.population: must be a positive integer, got -5/,
    );
    assert.throws(
      () => createOptimizer({ type: 'mppi', temperature: 0 }, space, 1),
      /mppi\.temperature \(lambda\): must be a finite number > 0, got 0/,
    );
    assert.throws(() => createOptimizer({ type: 'icem', elites: 500 }, space, 1), OptimizerConfigError);
  });

  it('rejects an unknown type', () => {
    const config = { type: 'pso' } as unknown as OptimizerConfig;
    assert.throws(
      () => createOptimizer(config, space, 1),
      /optimizer\.type: expected one of "random_shooting", "cem", "icem", "mppi", got "pso"/,
    );
  });
});

describe('OptimizerConfigSchema', () => {
  it('fills defaults per type', () => {
    assert.deepEqual(OptimizerConfigSchema.parse({ type: 'mppi' }), {
      type: 'mppi',
      population: 500,
      iterations: 1,
      temperature: 1,
      smoothing: 0.6,
    });
    const cem = OptimizerConfigSchema.parse({ type: 'cem', iterations: 7 });
    assert.equal(cem.type === 'cem' && cem.iterations, 7);
  });

  it('rejects unknown keys, unknown types and elites > population', () => {
    assert.equal(OptimizerConfigSchema.safeParse({ type: 'cem', popsize: 3 }).success, false);
    assert.equal(OptimizerConfigSchema.safeParse({ type: 'annealing' }).success, false);
    const r = OptimizerConfigSchema.safeParse({ type: 'cem', population: 10, elites: 20 });
    assert.equal(r.success, false);
    assert.deepEqual(r.error?.issues[0].path, ['elites']);
  });
});
