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
    maxPopulation: 30,
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
