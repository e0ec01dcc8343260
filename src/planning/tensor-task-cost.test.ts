import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { listTaskNames, loadTask } from '../config/task-loader.js';
import { TaskSchema } from '../config/task-schema.js';
import { Rng } from '../math/rng.js';
import { initTfBackend } from '../models/tf-backend.js';
import { TaskCost } from '../tasks/task-cost.js';
import { TensorTaskCost } from './tensor-task-cost.js';

await initTfBackend({ log: () => undefined });

function compare(task: ReturnType<typeof TaskSchema.parse>, rows: number, seed: number) {
  const rng = new Rng(seed);
  const S = task.state.length;
  const A = task.action.length;
  const s = new Float32Array(rows * S).map(() => rng.uniformIn(-4, 4));
  const a = new Float32Array(rows * A).map(() => rng.uniformIn(-1.5, 1.5));
  const p = new Float32Array(rows * A).map(() => rng.uniformIn(-1.5, 1.5));
  const tensorCost = new TensorTaskCost(task);
  const got = tf.tidy(() =>
    Array.from(
      tensorCost
        .evaluate(tf.tensor2d(s, [rows, S]), tf.tensor2d(a, [rows, A]), tf.tensor2d(p, [rows, A]))
        .dataSync(),
    ),
  );
  const gotNoPrev = tf.tidy(() =>
    Array.from(tensorCost.evaluate(tf.tensor2d(s, [rows, S]), tf.tensor2d(a, [rows, A]), null).dataSync()),
  );
  tensorCost.dispose();
  const reference = new TaskCost(task);
  for (let r = 0; r < rows; r++) {
    const row = s.subarray(r * S, (r + 1) * S);
    const act = a.subarray(r * A, (r + 1) * A);
    const want = reference.evaluate(row, act, p.subarray(r * A, (r + 1) * A));
    const wantNoPrev = reference.evaluate(row, act, null);
    // float32 tensors vs float64 reference: relative 1e-4 or absolute 1e-4.
    assert.ok(
      Math.abs(got[r] - want) <= 1e-4 * Math.max(1, Math.abs(want)),
      `${task.name} row ${r}: ${got[r]} vs ${want}`,
    );
    assert.ok(Math.abs(gotNoPrev[r] - wantNoPrev) <= 1e-4 * Math.max(1, Math.abs(wantNoPrev)));
  }
}

test('batched tensor cost equals the reference cost on every shipped task', () => {
  for (const name of listTaskNames()) compare(loadTask(name).task, 256, 1);
});

test('every cost term type matches the reference, with and without a previous action', () => {
  const task = TaskSchema.parse({
    name: 'all-terms',
    mjcf: 'x.xml',
    dt: 0.1,
    episode_steps: 1,
    state: [
      { name: 'x', joint: 'j1', quantity: 'position' },
      { name: 'theta', joint: 'j2', quantity: 'position' },
      { name: 'v', joint: 'j1', quantity: 'velocity' },
    ],
    action: [
      { name: 'u1', actuator: 'm1', min: -1, max: 1 },
      { name: 'u2', actuator: 'm2', min: -1, max: 1 },
    ],
    initial_state: {},
    points: {
      tip: {
        origin: ['x', 0.5],
        links: [{ length: 0.7, angle: { offset: 0.3, plus: ['theta'], minus: ['x'] } }],
      },
    },
    cost: [
      { type: 'quadratic', state: ['x', 'v'], target: [0.5, -1], weights: [2, 0.3] },
      { type: 'angle', state: 'theta', target: 1, weight: 0.7 },
      { type: 'exp_distance', point: 'tip', target: [0.2, 0.4], width: 0.8, weight: 1.5 },
      { type: 'distance', point: 'tip', target: [1, -1], weight: 2, squared: false },
      { type: 'distance', point: 'tip', target: [1, -1], weight: 0.5 },
      { type: 'action', weight: 0.1 },
      { type: 'action_rate', weight: 0.4 },
      { type: 'state_bounds', state: 'v', min: -1, max: 2, weight: 3 },
    ],
  });
  compare(task, 512, 2);
});

test('the tensor cost frees its constants', () => {
  const before = tf.memory().numTensors;
  const cost = new TensorTaskCost(loadTask('reacher-2link').task);
  tf.tidy(() => {
    cost.evaluate(tf.zeros([4, 4]), tf.zeros([4, 2]), null);
  });
  cost.dispose();
  assert.equal(tf.memory().numTensors, before);
});
