import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPlannerProfile } from './planner-profile.js';
import { robotPlannerProfile } from './robot-planner-profile.js';

const task = 'cartpole-swingup';

test('no overrides: the named profile as it is', () => {
  assert.deepEqual(
    robotPlannerProfile(task, { type: 'pets', profile: 'realtime' }),
    loadPlannerProfile(task, 'realtime'),
  );
});

test('overrides replace only what they name; the same optimizer keeps its other options', () => {
  const base = loadPlannerProfile(task, 'realtime');
  const p = robotPlannerProfile(task, {
    type: 'pets',
    profile: 'realtime',
    horizon: 12,
    population: 40,
    elites: 4,
  });
  assert.equal(p.horizon, 12);
  assert.equal(p.particles, base.particles);
  assert.deepEqual(p.optimizer, { ...base.optimizer, population: 40, elites: 4 });
});

test('another optimizer starts from its own defaults', () => {
  const p = robotPlannerProfile(task, {
    type: 'pets',
    profile: 'realtime',
    optimizer: 'mppi',
    population: 64,
  });
  assert.equal(p.optimizer.type, 'mppi');
  assert.equal((p.optimizer as { population: number }).population, 64);
});

test('an override the optimizer does not have is a clear error', () => {
  assert.throws(
    () => robotPlannerProfile(task, { type: 'pets', profile: 'realtime', optimizer: 'mppi', elites: 5 }),
    (err: Error) =>
      err instanceof RangeError &&
      /overrides do not fit planner profile "realtime" of task cartpole-swingup: controller\.elites: .*elites/.test(
        err.message,
      ),
  );
});
