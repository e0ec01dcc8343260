import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTask } from '../../config/task-loader.js';
import type { Policy } from '../../policies/policy.js';
import { float64Array, type Float64MultiArrayMsg } from '../../runtime/messages.js';
import { InProcessBus } from '../../runtime/in-process-bus.js';
import { MemoryLogger } from '../../runtime/memory-logger.js';
import { timeFromSeconds } from '../../runtime/time.js';
import { ControllerNode } from './controller-node.js';

const task = loadTask('pendulum-swingup').task;

class FixedPolicy implements Policy {
  readonly source = 'mpc' as const;
  value = 0.5;
  fail = false;
  seen: number[][] = [];
  reset(): void {}
  act(state: Float64Array, _t: number, out: Float64Array): Float64Array {
    if (this.fail) throw new Error('planner crashed');
    this.seen.push(Array.from(state));
    out[0] = this.value;
    return out;
  }
}

function setup() {
  const bus = new InProcessBus({ loggerFactory: (n) => new MemoryLogger(n) });
  const policy = new FixedPolicy();
  const controller = new ControllerNode(bus.createNode('controller', { useSimTime: true }), {
    task,
    policy,
    rateHz: 20,
    staleTimeoutSeconds: 0.1,
    safeAction: 'zero',
  });
  const world = bus.createNode('world', { useSimTime: true });
  const clock = world.createPublisher('rosgraph_msgs/msg/Clock', '/clock');
  const joints = world.createPublisher('sensor_msgs/msg/JointState', 'joint_states');
  const commands: number[][] = [];
  world.createSubscription('std_msgs/msg/Float64MultiArray', 'command', (m: Float64MultiArrayMsg) =>
    commands.push(m.data),
  );
  const tick = (t: number) => clock.publish({ clock: timeFromSeconds(t) });
  const state = (t: number, angle: number, velocity = 0, name = ['hinge']) =>
    joints.publish({
      header: { stamp: timeFromSeconds(t), frame_id: '' },
      name,
      position: [angle],
      velocity: [velocity],
      effort: [],
    });
  return { bus, policy, controller, tick, state, commands };
}

test('acts on fresh state at the control rate and wraps angles', async () => {
  const { bus, policy, controller, tick, state, commands } = setup();
  try {
    state(0.04, (3 * Math.PI) / 2, 0.2);
    tick(0.05);
    assert.deepEqual(commands, [[0.5]]);
    assert.ok(Math.abs(policy.seen[0][0] + Math.PI / 2) < 1e-12, 'angle wrapped to [-pi, pi)');
    assert.equal(controller.lastTick.source, 'mpc');
    policy.value = 7;
    state(0.09, 0);
    tick(0.1);
    assert.deepEqual(commands[1], [1], 'clamped to the action bound');
  } finally {
    await bus.shutdown();
  }
});

test('no state, stale state, bad state or a failing policy give the safe action', async () => {
  const { bus, policy, controller, tick, state, commands } = setup();
  try {
    tick(0.05);
    assert.deepEqual(commands.at(-1), [0]);
    assert.equal(controller.lastTick.safeReason, 'no state received');
    state(0.05, 1);
    tick(0.1);
    assert.deepEqual(commands.at(-1), [0.5]);
    tick(0.3); // the last state is 0.25 s old
    assert.deepEqual(commands.at(-1), [0]);
    assert.match(controller.lastTick.safeReason ?? '', /state is 0\.250 s old/);
    state(0.34, Number.NaN);
    state(0.34, 1, 0, ['elbow']);
    assert.equal(controller.stats.rejectedStates, 2);
    tick(0.35);
    assert.deepEqual(commands.at(-1), [0], 'rejected messages do not refresh the state');
    state(0.39, 1);
    policy.fail = true;
    tick(0.4);
    assert.deepEqual(commands.at(-1), [0]);
    assert.match(controller.lastTick.safeReason ?? '', /policy failed: planner crashed/);
    assert.equal(controller.stats.policyErrors, 1);
  } finally {
    await bus.shutdown();
  }
});

test('command publisher and topics follow the options', async () => {
  const bus = new InProcessBus({ loggerFactory: (n) => new MemoryLogger(n) });
  try {
    const node = bus.createNode('c', { namespace: '/robot', useSimTime: true });
    new ControllerNode(node, {
      task,
      policy: new FixedPolicy(),
      rateHz: 10,
      staleTimeoutSeconds: 1,
      safeAction: 'hold',
      topics: { command: 'effort_controller/commands' },
    });
    const got: number[][] = [];
    const probe = bus.createNode('p');
    probe.createSubscription('std_msgs/msg/Float64MultiArray', '/robot/effort_controller/commands', (m) =>
      got.push(m.data),
    );
    probe.createPublisher('rosgraph_msgs/msg/Clock', '/clock').publish({ clock: timeFromSeconds(0.1) });
    assert.deepEqual(got, [[0]]);
    assert.deepEqual(float64Array([1, 2]).layout.dim[0].size, 2);
  } finally {
    await bus.shutdown();
  }
});
