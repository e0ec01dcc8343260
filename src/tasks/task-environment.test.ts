import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTask } from '../config/task-loader.js';
import { Rng } from '../math/rng.js';
import { TaskEnvironment } from './task-environment.js';

async function withEnv(name: string, body: (env: TaskEnvironment) => void | Promise<void>) {
  const env = await TaskEnvironment.create(loadTask(name));
  try {
    await body(env);
  } finally {
    env.dispose();
  }
}

test('the cart-pole falls from upright with no action', () =>
  withEnv('cartpole-swingup', (env) => {
    env.setState([0, 0.01, 0, 0]);
    let fellAfter = -1;
    for (let t = 0; t < 100 && fellAfter < 0; t++) {
      const { state } = env.step([0]);
      if (Math.abs(state[1]) > Math.PI / 2) fellAfter = t;
    }
    // An inverted pole tips over in about a second (growth rate sqrt(3g/2l) ~ 5/s from 0.01 rad).
    assert.ok(fellAfter > 0 && fellAfter * env.dt < 3, `fell after ${fellAfter} steps`);
  }));

test('the cart-pole balanced upright at the target scores about 1 per step', () =>
  withEnv('cartpole-swingup', (env) => {
    env.setState([0, 0, 0, 0]);
    const { reward } = env.step([0]);
    // After 0.04 s from rest at the unstable equilibrium the tip has not moved measurably.
    assert.ok(reward > 0.999 && reward <= 1, `reward ${reward}`);
    env.setState([0, Math.PI, 0, 0]);
    const hanging = env.step([0]).reward;
    // Tip at (0, -0.6): exp(-1.2^2 / 0.6^2) = exp(-4).
    assert.ok(Math.abs(hanging - Math.exp(-4)) < 1e-3, `hanging reward ${hanging}`);
    env.setState([0, 0, 0, 0]);
    assert.ok(
      Math.abs(env.step([1]).reward - env.cost.evaluate(env.readState(new Float64Array(4)), [1]) * -1) <
        1e-12,
    );
  }));

test('same seed, same trajectory, bit for bit; another seed differs', async () => {
  const rollout = async (seed: number) => {
    const trace: number[] = [];
    await withEnv('cartpole-swingup', (env) => {
      const rng = new Rng(seed);
      trace.push(...env.reset(rng));
      for (let t = 0; t < 200; t++) {
        const { state, reward } = env.step([rng.uniformIn(-1, 1)]);
        trace.push(...state, reward);
      }
    });
    return trace;
  };
  const a = await rollout(7);
  const b = await rollout(7);
  const c = await rollout(8);
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `differs at ${i}: ${a[i]} vs ${b[i]}`);
  assert.notDeepEqual(a, c);
});

test('the initial state follows the task distribution', () =>
  withEnv('cartpole-swingup', (env) => {
    const rng = new Rng(3);
    const n = 400;
    const angles: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = env.reset(rng);
      // Hanging down means wrapped angles near +-pi: measure the distance from pi.
      angles.push(Math.PI - Math.abs(s[1]));
    }
    const mean = angles.reduce((x, y) => x + y, 0) / n;
    // |N(0, 0.1)| has mean 0.1 sqrt(2/pi) ~ 0.080.
    assert.ok(Math.abs(mean - 0.0798) < 0.015, `mean distance from pi ${mean}`);
  }));

test('the pendulum motor cannot hold the pole horizontal, so swing-up needs pumping', () =>
  withEnv('pendulum-swingup', (env) => {
    env.setState([Math.PI / 2, 0]);
    // Full torque against gravity: 2 N m < m g l / 2 = 4.9 N m, so the pole still falls.
    for (let t = 0; t < 10; t++) env.step([-1]);
    assert.ok(env.readState(new Float64Array(2))[0] > Math.PI / 2 + 0.3);
  }));

test('actions are clamped to the task bounds and NaN becomes 0', () =>
  withEnv('reacher-2link', (env) => {
    env.setState([0, 0, 0, 0]);
    const { action } = env.step([5, Number.NaN]);
    assert.deepEqual(Array.from(action), [1, 0]);
    assert.throws(() => env.step([1]), /action has 1 entries, task reacher-2link has 2/);
  }));

test('the reacher fingertip point matches the MuJoCo fingertip site', () =>
  withEnv('reacher-2link', (env) => {
    const rng = new Rng(5);
    for (let i = 0; i < 20; i++) {
      env.setState([rng.uniformIn(-3, 3), rng.uniformIn(-2.5, 2.5), 0, 0]);
      const p = env.cost.point('fingertip', env.readState(new Float64Array(4)));
      const site = env.sim.sitePosition('fingertip');
      assert.ok(Math.hypot(p[0] - site[0], p[1] - site[1]) < 1e-9);
    }
  }));
