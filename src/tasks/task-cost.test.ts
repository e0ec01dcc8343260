import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskSchema, type Task } from '../config/task-schema.js';
import { TaskCost } from './task-cost.js';

function task(cost: unknown[]): Task {
  return TaskSchema.parse({
    name: 'unit',
    mjcf: 'x.xml',
    dt: 0.1,
    episode_steps: 10,
    state: [
      { name: 'x', joint: 'slider', quantity: 'position' },
      { name: 'theta', joint: 'hinge', quantity: 'position' },
    ],
    action: [{ name: 'u', actuator: 'm', min: -1, max: 1 }],
    initial_state: {},
    points: {
      tip: { origin: ['x', 0], links: [{ length: 2, angle: { offset: Math.PI / 2, minus: ['theta'] } }] },
    },
    cost,
  });
}

test('each cost term evaluates to its formula', () => {
  const s = [0.5, 0.3];
  const a = [0.4];
  const close = (actual: number, expected: number) =>
    assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} vs ${expected}`);
  close(
    new TaskCost(
      task([{ type: 'quadratic', state: ['x', 'theta'], target: [1, 0], weights: [2, 3] }]),
    ).evaluate(s, a),
    2 * 0.25 + 3 * 0.09,
  );
  close(
    new TaskCost(task([{ type: 'angle', state: 'theta', weight: 2 }])).evaluate(s, a),
    2 * (1 - Math.cos(0.3)),
  );
  const tip = [0.5 + 2 * Math.sin(0.3), 2 * Math.cos(0.3)];
  close(
    new TaskCost(task([{ type: 'exp_distance', point: 'tip', target: [0, 2], width: 2 }])).evaluate(s, a),
    -Math.exp(-(tip[0] ** 2 + (tip[1] - 2) ** 2) / 4),
  );
  close(
    new TaskCost(
      task([{ type: 'distance', point: 'tip', target: [0, 2], weight: 3, squared: false }]),
    ).evaluate(s, a),
    3 * Math.hypot(tip[0], tip[1] - 2),
  );
  close(new TaskCost(task([{ type: 'action', weight: 0.5 }])).evaluate(s, a), 0.5 * 0.16);
  const rate = new TaskCost(task([{ type: 'action_rate', weight: 2 }]));
  close(rate.evaluate(s, a, null), 0);
  close(rate.evaluate(s, a, [0.1]), 2 * 0.09);
  const bounds = new TaskCost(task([{ type: 'state_bounds', state: 'x', min: -0.2, max: 0.2, weight: 10 }]));
  close(bounds.evaluate(s, a), 10 * 0.09);
  close(bounds.evaluate([0, 0], a), 0);
});

test('per-term costs add up to the total', () => {
  const cost = new TaskCost(
    task([
      { type: 'angle', state: 'theta', weight: 1 },
      { type: 'action', weight: 0.1 },
    ]),
  );
  const terms = cost.evaluateTerms([0, 1], [2]);
  assert.equal(terms.length, 2);
  assert.ok(Math.abs(terms[0] + terms[1] - cost.evaluate([0, 1], [2])) < 1e-12);
});

test('the task schema rejects cost terms naming unknown states or points', () => {
  assert.throws(() => task([{ type: 'angle', state: 'phi', weight: 1 }]), /unknown state field \W+phi/);
  assert.throws(
    () => task([{ type: 'distance', point: 'elbow', target: [0, 0], weight: 1 }]),
    /unknown point \W+elbow/,
  );
  assert.throws(() => task([{ type: 'quadratic', state: ['x'], weights: [1, 2] }]), /expected 1 weights/);
});
