import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTask } from '../config/task-loader.js';
import { Rng } from '../math/rng.js';
import { initTfBackend } from '../models/tf-backend.js';
import { TaskEnvironment } from '../tasks/task-environment.js';
import { MpcPlanner } from './mpc-planner.js';
import { createOptimizer } from './optimizers/index.js';
import type { SequenceSpace } from './optimizers/optimizer.js';
import { SimulatorDynamics } from './simulator-dynamics.js';
import { TensorTaskCost } from './tensor-task-cost.js';

await initTfBackend({ log: () => undefined });

test('MPC with the true simulator as the model swings the pendulum up and holds it', async () => {
  const loaded = loadTask('pendulum-swingup');
  const world = await TaskEnvironment.create(loaded);
  const modelEnv = await TaskEnvironment.create(loaded);
  const cost = new TensorTaskCost(loaded.task);
  const space: SequenceSpace = {
    horizon: 20,
    actionDim: 1,
    low: Float32Array.of(-1),
    high: Float32Array.of(1),
  };
  const planner = new MpcPlanner({
    model: new SimulatorDynamics(modelEnv),
    cost: cost.evaluate,
    optimizer: createOptimizer({ type: 'cem', population: 30, elites: 5, iterations: 3 }, space, 1),
    evaluator: { particles: 1, propagation: 'tsinf', objective: 'expected', riskK: 0, sampleNoise: false },
    dt: loaded.task.dt,
    seed: 1,
  });
  try {
    let state = world.reset(new Rng(2));
    const angles: number[] = [];
    for (let t = 0; t < 90; t++) {
      const plan = planner.plan(state, t * loaded.task.dt);
      state = Float64Array.from(world.step([plan.actions[0]]).state);
      angles.push(state[0]);
    }
    // Started hanging (|angle| ~ pi); within 4.5 s the pole is up and held: the last
    // second stays within 0.3 rad of upright (torque-limited, so this took pumping).
    const last = angles.slice(-20);
    assert.ok(
      last.every((a) => Math.abs(a) < 0.3),
      `final angles ${last.map((a) => a.toFixed(2)).join(' ')}`,
    );
  } finally {
    cost.dispose();
    world.dispose();
    modelEnv.dispose();
  }
});

test('planning allocates no lasting tensors: the count stays flat over 1000 plans', async () => {
  const { EnsembleDynamics } = await import('../models/ensemble-dynamics.js');
  const { EnsembleNetwork } = await import('../models/ensemble-network.js');
  const { Normalizer } = await import('../models/normalizer.js');
  const tf = await import('@tensorflow/tfjs');
  const loaded = loadTask('cartpole-swingup');
  const spec = {
    members: 2,
    stateDim: 4,
    actionDim: 1,
    angleIndices: [1],
    hiddenLayers: 1,
    hiddenUnits: 8,
    activation: 'swish' as const,
  };
  const id = (d: number) =>
    Normalizer.fromJson({ mean: new Array<number>(d).fill(0), std: new Array<number>(d).fill(1) });
  const model = new EnsembleDynamics(
    spec,
    EnsembleNetwork.initialize(spec, [0, 1], new Rng(1), false),
    id(6),
    id(4),
    [0, 1],
  );
  const cost = new TensorTaskCost(loaded.task);
  const space: SequenceSpace = {
    horizon: 5,
    actionDim: 1,
    low: Float32Array.of(-1),
    high: Float32Array.of(1),
  };
  for (const [type, objective] of [
    ['cem', 'expected'],
    ['icem', 'pessimistic'],
    ['mppi', 'posterior_sampling'],
    ['random_shooting', 'optimistic'],
  ] as const) {
    const planner = new MpcPlanner({
      model,
      cost: cost.evaluate,
      optimizer: createOptimizer(
        { type, population: 10, ...(type === 'mppi' || type === 'random_shooting' ? {} : { elites: 2 }) },
        space,
        1,
      ),
      evaluator: { particles: 2, propagation: 'ts1', objective, riskK: 1, sampleNoise: true },
      dt: 0.04,
      seed: 1,
    });
    // Warm-up: the model caches constants per batch layout; iCEM's layouts settle after
    // the first plan (kept elites join the first population from then on).
    for (let i = 0; i < 3; i++) planner.plan([0, Math.PI, 0, 0], i * 0.04, { previousAction: [0] });
    const before = tf.memory().numTensors;
    for (let i = 3; i <= 252; i++) planner.plan([0, Math.PI, 0, 0], i * 0.04, { previousAction: [0] });
    assert.equal(tf.memory().numTensors, before, `${type}: tensors leaked`);
  }
  cost.dispose();
  model.dispose();
});

test('warm start: a shifted previous plan reaches a good cost in fewer iterations', async () => {
  // With the exact simulator: from the same state one control step later, one warm
  // iteration beats one cold iteration of the same population.
  const loaded = loadTask('pendulum-swingup');
  const modelEnv = await TaskEnvironment.create(loaded);
  const cost = new TensorTaskCost(loaded.task);
  const space: SequenceSpace = {
    horizon: 15,
    actionDim: 1,
    low: Float32Array.of(-1),
    high: Float32Array.of(1),
  };
  const make = (iterations: number) =>
    new MpcPlanner({
      model: new SimulatorDynamics(modelEnv),
      cost: cost.evaluate,
      optimizer: createOptimizer({ type: 'cem', population: 30, elites: 5, iterations }, space, 3),
      evaluator: { particles: 1, propagation: 'tsinf', objective: 'expected', riskK: 0, sampleNoise: false },
      dt: loaded.task.dt,
      seed: 1,
    });
  const world = await TaskEnvironment.create(loaded);
  try {
    const s0 = [2.5, 1];
    const warm = make(1);
    let plan = warm.plan(s0, 0);
    for (let i = 0; i < 6; i++) plan = warm.plan(s0, 0); // same stamp: refine without shifting
    world.setState(s0);
    const s1 = Array.from(world.step([plan.actions[0]]).state);
    // One control step later, from where the plan led: the shifted plan is a head start.
    const warmReturn = warm.plan(s1, loaded.task.dt).predictedReturn;
    const cold = make(1).plan(s1, loaded.task.dt).predictedReturn;
    assert.ok(warmReturn > cold, `warm ${warmReturn} vs cold ${cold}`);
  } finally {
    cost.dispose();
    modelEnv.dispose();
    world.dispose();
  }
});
