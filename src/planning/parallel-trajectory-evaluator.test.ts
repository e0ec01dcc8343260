import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTask } from '../config/task-loader.js';
import { Rng } from '../math/rng.js';
import { EnsembleDynamics } from '../models/ensemble-dynamics.js';
import { EnsembleNetwork } from '../models/ensemble-network.js';
import type { EnsembleSpec } from '../models/ensemble-spec.js';
import { Normalizer } from '../models/normalizer.js';
import { initTfBackend } from '../models/tf-backend.js';
import type { SequenceSpace } from './optimizers/optimizer.js';
import { ParallelTrajectoryEvaluator } from './parallel-trajectory-evaluator.js';
import { TensorTaskCost } from './tensor-task-cost.js';
import { TrajectoryEvaluator, type TrajectoryEvaluatorOptions } from './trajectory-evaluator.js';

await initTfBackend({ log: () => undefined });

const task = loadTask('cartpole-swingup').task;
const spec: EnsembleSpec = {
  members: 2,
  stateDim: 4,
  actionDim: 1,
  angleIndices: [1],
  hiddenLayers: 2,
  hiddenUnits: 16,
  activation: 'swish',
};
const space: SequenceSpace = { horizon: 6, actionDim: 1, low: Float32Array.of(-1), high: Float32Array.of(1) };

function model(seed: number): EnsembleDynamics {
  const id = (d: number) =>
    Normalizer.fromJson({ mean: new Array<number>(d).fill(0.1), std: new Array<number>(d).fill(0.5) });
  return new EnsembleDynamics(
    spec,
    EnsembleNetwork.initialize(spec, [0, 1], new Rng(seed), false),
    id(6),
    id(4),
    [0, 1],
  );
}

function candidates(population: number): Float32Array {
  const rng = new Rng(9);
  return new Float32Array(population * space.horizon).map(() => rng.uniformIn(-1, 1));
}

test('scores on several threads equal single-thread scores', async () => {
  const options: TrajectoryEvaluatorOptions = {
    particles: 4, // a multiple of the member count: TS-inf assigns members identically
    propagation: 'tsinf',
    objective: 'pessimistic',
    riskK: 0.5,
    sampleNoise: false,
  };
  const m = model(1);
  const cost = new TensorTaskCost(task);
  const single = new TrajectoryEvaluator(m, cost.evaluate, space, options, 1, 64);
  const parallel = await ParallelTrajectoryEvaluator.create({
    task,
    model: m,
    space,
    options,
    seed: 1,
    maxPopulation: 64,
    threads: 2,
  });
  try {
    const state = [0.1, 3, 0, 0.2];
    for (const population of [64, 37, 1]) {
      const c = candidates(population);
      const a = new Float32Array(population);
      const b = new Float32Array(population);
      single.setStart(state, [0.3]);
      single.evaluate(c, population, a);
      parallel.setStart(state, [0.3]);
      parallel.evaluate(c, population, b);
      for (let i = 0; i < population; i++) {
        assert.ok(
          Math.abs(a[i] - b[i]) <= 1e-5 * Math.max(1, Math.abs(a[i])),
          `candidate ${i}: ${a[i]} vs ${b[i]}`,
        );
        assert.ok(Math.abs(single.stats.std[i] - parallel.stats.std[i]) <= 1e-5);
      }
      const best = Math.min(...b);
      assert.equal(parallel.bestSeen.cost, best);
    }
    assert.equal(parallel.modelRowSteps, (64 + 37 + 1) * 4 * space.horizon);
  } finally {
    parallel.dispose();
    cost.dispose();
    m.dispose();
  }
});

test('a model swap reaches every thread', async () => {
  const options: TrajectoryEvaluatorOptions = {
    particles: 2,
    propagation: 'tsinf',
    objective: 'expected',
    riskK: 0,
    sampleNoise: false,
  };
  const first = model(1);
  const second = model(2);
  const cost = new TensorTaskCost(task);
  const parallel = await ParallelTrajectoryEvaluator.create({
    task,
    model: first,
    space,
    options,
    seed: 1,
    maxPopulation: 16,
    threads: 2,
  });
  const reference = new TrajectoryEvaluator(second, cost.evaluate, space, options, 1, 16);
  try {
    parallel.setModel(second);
    const c = candidates(16);
    const got = new Float32Array(16);
    const want = new Float32Array(16);
    parallel.setStart([0, 0, 0, 0], null);
    parallel.evaluate(c, 16, got);
    reference.setStart([0, 0, 0, 0], null);
    reference.evaluate(c, 16, want);
    // The second half was scored by the helper: it must be using the new model too.
    for (let i = 0; i < 16; i++)
      assert.ok(Math.abs(got[i] - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])), `candidate ${i}`);
  } finally {
    parallel.dispose();
    cost.dispose();
    first.dispose();
    second.dispose();
  }
});

test('bad thread counts are rejected', async () => {
  const m = model(1);
  try {
    await assert.rejects(
      ParallelTrajectoryEvaluator.create({
        task,
        model: m,
        space,
        options: { particles: 1, propagation: 'tsinf', objective: 'expected', riskK: 0, sampleNoise: false },
        seed: 1,
        maxPopulation: 4,
        threads: 1,
      }),
      /needs >= 2 threads, got 1/,
    );
  } finally {
    m.dispose();
  }
});

test('iCEM plans on two threads: buffers are sized by the optimizer, not by its base population', async () => {
  const { MpcPlanner } = await import('./mpc-planner.js');
  const { createOptimizer } = await import('./optimizers/index.js');
  const options: TrajectoryEvaluatorOptions = {
    particles: 2,
    propagation: 'tsinf',
    objective: 'expected',
    riskK: 0,
    sampleNoise: true,
  };
  const m = model(3);
  const cost = new TensorTaskCost(task);
  // Kept elites and the mean join iCEM's populations: it asks for more than `population`.
  const optimizer = createOptimizer({ type: 'icem', population: 10, elites: 4, iterations: 3 }, space, 1);
  assert.ok(optimizer.maxPopulation > 10, `maxPopulation ${optimizer.maxPopulation}`);
  const rollouts = await ParallelTrajectoryEvaluator.create({
    task,
    model: m,
    space,
    options,
    seed: 1,
    maxPopulation: optimizer.maxPopulation,
    threads: 2,
  });
  const planner = new MpcPlanner({
    model: m,
    cost: cost.evaluate,
    optimizer,
    evaluator: options,
    rollouts,
    dt: task.dt,
    seed: 1,
  });
  try {
    for (let i = 0; i < 3; i++) {
      const plan = planner.plan([0, 3, 0, 0], i * task.dt);
      assert.ok(Number.isFinite(plan.predictedReturn), `plan ${i}`);
    }
    const tooMany = new Float32Array((optimizer.maxPopulation + 1) * space.horizon);
    assert.throws(
      () =>
        rollouts.evaluate(
          tooMany,
          optimizer.maxPopulation + 1,
          new Float32Array(optimizer.maxPopulation + 1),
        ),
      /asked to score \d+ candidates; this evaluator holds at most \d+/,
    );
  } finally {
    rollouts.dispose();
    cost.dispose();
    m.dispose();
  }
});
