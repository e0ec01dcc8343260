import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTask } from '../config/task-loader.js';
import { JointPdPolicy } from './joint-pd-policy.js';
import { PolicyNotReadyError } from './policy.js';

test('drives each actuated joint to the target pose with its own gains', () => {
  const pd = JointPdPolicy.forTask(loadTask('reacher-2link').task, { kp: [2, 1], kd: 0.5 });
  const out = new Float64Array(2);
  assert.throws(() => pd.act(Float64Array.from([0, 0, 0, 0]), 0, out), PolicyNotReadyError);
  pd.setTargetFromState([0.3, -0.2, 5, 5]);
  assert.equal(pd.source, 'reset');
  // u0 = 2 (0.3 - 0.1) - 0.5 * 1, u1 = 1 (-0.2 - 0) - 0.5 * (-2)
  const u = pd.act(Float64Array.from([0.1, 0, 1, -2]), 0, out);
  assert.ok(Math.abs(u[0] - -0.1) < 1e-12 && Math.abs(u[1] - 0.8) < 1e-12, `u = ${Array.from(u)}`);
});

test('wrapped angles take the short way round', () => {
  const pd = new JointPdPolicy({ positionIndices: [0], velocityIndices: [1], wrap: [true], kp: 1, kd: 0 });
  pd.setTargetFromState([3.0, 0]);
  const u = pd.act(Float64Array.from([-3.0, 0]), 0, new Float64Array(1));
  // 3 - (-3) = 6 rad is -0.283 rad the other way.
  assert.ok(Math.abs(u[0] - (6 - 2 * Math.PI)) < 1e-12, `u = ${u[0]}`);
  const plain = new JointPdPolicy({ positionIndices: [0], velocityIndices: [1], kp: 1, kd: 0 });
  plain.setTargetFromState([3.0, 0]);
  assert.equal(plain.act(Float64Array.from([-3.0, 0]), 0, new Float64Array(1))[0], 6);
});

test('gains are checked against the actions', () => {
  const task = loadTask('reacher-2link').task;
  assert.throws(
    () => JointPdPolicy.forTask(task, { kp: [1, 2, 3], kd: 0 }),
    /kp has 3 entries for 2 actions/,
  );
  assert.throws(() => JointPdPolicy.forTask(task, { kp: 1, kd: -1 }), /kd must be finite and >= 0/);
  const noVelocity = { ...task, state: task.state.filter((s) => s.quantity === 'position') };
  assert.throws(
    () => JointPdPolicy.forTask(noVelocity, { kp: 1, kd: 0 }),
    /task reacher-2link: a PD reset needs a position and a velocity field per action \(2 actions, 2 positions, 0 velocities\)/,
  );
});
