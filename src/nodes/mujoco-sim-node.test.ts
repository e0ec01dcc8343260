import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTask } from '../config/task-loader.js';
import type { ImuMsg, JointStateMsg } from '../runtime/messages.js';
import { float64Array } from '../runtime/messages.js';
import { InProcessBus } from '../runtime/in-process-bus.js';
import { MemoryLogger } from '../runtime/memory-logger.js';
import { timeToSeconds } from '../runtime/time.js';
import { TaskEnvironment } from '../tasks/task-environment.js';
import { MujocoSimNode, type MujocoSimNodeOptions } from './mujoco-sim-node.js';

async function setup(task: string, options: Partial<MujocoSimNodeOptions> = {}) {
  const env = await TaskEnvironment.create(loadTask(task));
  const logs: MemoryLogger[] = [];
  const bus = new InProcessBus({
    loggerFactory: (name) => {
      const l = new MemoryLogger(name);
      logs.push(l);
      return l;
    },
  });
  const sim = new MujocoSimNode(bus.createNode('sim', { useSimTime: true }), {
    env,
    mode: 'lockstep',
    seed: 1,
    ...options,
  });
  const probe = bus.createNode('probe', { useSimTime: true });
  const states: JointStateMsg[] = [];
  probe.createSubscription('sensor_msgs/msg/JointState', 'joint_states', (m) => states.push(m));
  const command = probe.createPublisher('std_msgs/msg/Float64MultiArray', 'command');
  const close = async () => {
    await bus.shutdown();
    env.dispose();
  };
  return { env, bus, sim, probe, states, command, logs, close };
}

test('lockstep: each advance simulates dt with the newest command and publishes the state', async () => {
  const { sim, states, command, close } = await setup('cartpole-swingup');
  try {
    sim.reset([0, Math.PI, 0, 0]);
    assert.equal(states.length, 1);
    assert.deepEqual(states[0].name, ['slider', 'hinge']);
    command.publish(float64Array([1]));
    const pushed = sim.advance();
    assert.deepEqual(Array.from(pushed.action), [1]);
    assert.equal(states.length, 2);
    // 10 N on 1.1 kg for 0.04 s from rest moves the cart forward.
    assert.ok(states[1].velocity[0] > 0.2, `cart velocity ${states[1].velocity[0]}`);
    const stamps = states.map((s) => timeToSeconds(s.header.stamp));
    assert.ok(Math.abs(stamps[1] - stamps[0] - 0.04) < 1e-9);
    // No new command for the next period: the safe (zero) command is used and counted.
    const coasted = sim.advance();
    assert.deepEqual(Array.from(coasted.action), [0]);
    assert.equal(sim.stats.missedCommands, 1);
  } finally {
    await close();
  }
});

test('bad commands are rejected, counted and logged; the node keeps running', async () => {
  const { sim, command, logs, close } = await setup('cartpole-swingup');
  try {
    sim.reset([0, 0, 0, 0]);
    command.publish(float64Array([1, 2]));
    command.publish(float64Array([Number.NaN]));
    assert.equal(sim.stats.commandsRejected, 2);
    assert.ok(
      logs.some((l) => l.at('warn').some((e) => /expected 1 finite values \(cart_force\)/.test(e.message))),
    );
    command.publish(float64Array([0.5]));
    assert.deepEqual(Array.from(sim.advance().action), [0.5]);
  } finally {
    await close();
  }
});

test('sim time never runs backwards across episode resets', async () => {
  const { sim, probe, close } = await setup('pendulum-swingup');
  try {
    const clocks: number[] = [];
    probe.createSubscription('rosgraph_msgs/msg/Clock', '/clock', (m) => clocks.push(timeToSeconds(m.clock)));
    for (let episode = 0; episode < 3; episode++) {
      sim.reset();
      for (let t = 0; t < 5; t++) sim.advance();
    }
    for (let i = 1; i < clocks.length; i++)
      assert.ok(clocks[i] > clocks[i - 1], `clock went from ${clocks[i - 1]} to ${clocks[i]}`);
    assert.ok(Math.abs(probe.now().sec + probe.now().nanosec / 1e9 - clocks[clocks.length - 1]) < 1e-9);
  } finally {
    await close();
  }
});

test('sensor latency delays delivery but keeps the sampling stamp', async () => {
  const { sim, states, probe, close } = await setup('pendulum-swingup', { latencySeconds: 0.1 });
  try {
    const received: number[] = [];
    // Sensors for time t are delivered before /clock(t), so read the simulator's own time.
    probe.createSubscription('sensor_msgs/msg/JointState', 'joint_states', () =>
      received.push(sim.simTimeSeconds),
    );
    sim.reset();
    assert.equal(states.length, 0, 'nothing is delivered before the latency has passed');
    sim.advance();
    assert.equal(states.length, 0);
    sim.advance();
    assert.equal(states.length, 1);
    // Sampled at the episode start, delivered two 0.05 s periods (>= 0.1 s) later.
    const lag = received[0] - timeToSeconds(states[0].header.stamp);
    assert.ok(Math.abs(lag - 0.1) < 1e-9, `lag ${lag}`);
  } finally {
    await close();
  }
});

test('sensor noise has the requested spread and is reproducible for a seed', async () => {
  const sample = async (seed: number) => {
    const { sim, states, close } = await setup('pendulum-swingup', { seed, noise: { position: 0.01 } });
    try {
      for (let i = 0; i < 300; i++) sim.reset([1, 0]);
      return states.map((s) => s.position[0] - 1);
    } finally {
      await close();
    }
  };
  const a = await sample(4);
  const b = await sample(4);
  assert.deepEqual(a, b);
  const std = Math.sqrt(a.reduce((s, x) => s + x * x, 0) / a.length);
  // 300 samples: the std estimate is within ~4% (1 sigma) of 0.01; allow 20%.
  assert.ok(Math.abs(std - 0.01) < 0.002, `std ${std}`);
  assert.notDeepEqual(a, await sample(5));
});

test('sensors faster than the control rate are published at their own rate', async () => {
  const { sim, states, close } = await setup('cartpole-swingup', { sensorRateHz: 100 });
  try {
    sim.reset();
    sim.advance();
    // reset sample + 4 physics steps of 10 ms in one 40 ms control period.
    assert.equal(states.length, 5);
  } finally {
    await close();
  }
});

test('the cart-pole IMU reports gravity when the pole is at rest upright', async () => {
  const { sim, probe, close } = await setup('cartpole-swingup');
  try {
    const imu: ImuMsg[] = [];
    probe.createSubscription('sensor_msgs/msg/Imu', 'imu/pole_imu', (m) => imu.push(m));
    sim.reset([0, 0, 0, 0]);
    assert.equal(imu.length, 1);
    const a = imu[0].linear_acceleration;
    // An accelerometer at rest measures the reaction to gravity: +9.81 along world z.
    assert.ok(Math.abs(a.z - 9.81) < 1e-6 && Math.abs(a.x) < 1e-9, JSON.stringify(a));
    assert.equal(imu[0].header.frame_id, 'pole_imu');
    assert.equal(imu[0].orientation.w, 1);
  } finally {
    await close();
  }
});
