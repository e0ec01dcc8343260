import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTask } from '../config/task-loader.js';
import { Rng } from '../math/rng.js';
import { initTfBackend } from '../models/tf-backend.js';
import type { SequenceSpace } from './optimizers/optimizer.js';
import { ParallelTrajectoryEvaluator } from './parallel-trajectory-evaluator.js';
import { createRolloutEvaluator } from './rollout-evaluator.js';
import { randomEnsemble, scoreBoth } from './testing.js';
import { TensorTaskCost } from './tensor-task-cost.js';
import { TrajectoryEvaluator, type TrajectoryEvaluatorOptions } from './trajectory-evaluator.js';

await initTfBackend({ log: () => undefined });

const task = loadTask('cartpole-swingup').task;
const space: SequenceSpace = { horizon: 6, actionDim: 1, low: Float32Array.of(-1), high: Float32Array.of(1) };

const model = (seed: number) => randomEnsemble(seed);

function candidates(population: number): Float32Array {
  const rng = new Rng(9);
  return new Float32Array(population * space.horizon).map(() => rng.uniformIn(-1, 1));
}

test('scores on several threads equal single-thread scores, with tensor and host rollouts', async () => {
  const options: TrajectoryEvaluatorOptions = {
    particles: 4, // a multiple of the member count: TS-inf assigns members identically
    propagation: 'tsinf',
    objective: 'pessimistic',
    riskK: 0.5,
    sampleNoise: false,
  };
  const m = model(1);
  for (const rollouts of ['tensor', 'host'] as const) {
    const single = createRolloutEvaluator(rollouts, m, task, space, options, 1, 64);
    const parallel = await ParallelTrajectoryEvaluator.create({
      task,
      model: m,
      space,
      options,
      seed: 1,
      maxPopulation: 64,
      threads: 2,
      rollouts,
    });
    try {
      for (const population of [64, 37, 1]) {
        const start = { state: [0.1, 3, 0, 0.2], previous: [0.3] };
        const [a, b] = scoreBoth(single.evaluator, parallel, candidates(population), population, start);
        for (let i = 0; i < population; i++) {
          assert.ok(
            Math.abs(a[i] - b[i]) <= 1e-5 * Math.max(1, Math.abs(a[i])),
            `${rollouts}, candidate ${i}: ${a[i]} vs ${b[i]}`,
          );
          assert.ok(Math.abs(single.evaluator.stats.std[i] - parallel.stats.std[i]) <= 1e-5);
        }
        const best = Math.min(...b);
        assert.equal(parallel.bestSeen.cost, best);
      }
      assert.equal(parallel.modelRowSteps, (64 + 37 + 1) * 4 * space.horizon);
    } finally {
      parallel.dispose();
      single.dispose();
    }
  }
  m.dispose();
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
