import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTask } from '../../config/task-loader.js';
import { wrapAngle } from '../../math/angles.js';
import type { Policy } from '../../policies/policy.js';
import { float64Array, type Float64MultiArrayMsg } from '../../runtime/messages.js';
import { InProcessBus } from '../../runtime/in-process-bus.js';
import { MemoryLogger } from '../../runtime/memory-logger.js';
import { timeFromSeconds } from '../../runtime/time.js';
import { ControllerNode, type ControllerNodeOptions } from './controller-node.js';
import { PolicyNotReadyError } from '../../policies/policy.js';
import { TeleopPolicy } from '../../policies/teleop-policy.js';
import type { ControlTickMsg, DiagnosticArrayMsg } from '../../runtime/messages.js';

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

function setup(extra: Partial<ControllerNodeOptions> = {}) {
  const bus = new InProcessBus({ loggerFactory: (n) => new MemoryLogger(n) });
  const policy = new FixedPolicy();
  const controller = new ControllerNode(bus.createNode('controller', { useSimTime: true }), {
    task,
    policies: { mpc: policy },
    rateHz: 20,
    staleTimeoutSeconds: 0.1,
    safeAction: 'zero',
    ...extra,
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
  const ticks: ControlTickMsg[] = [];
  world.createSubscription('mbrl_msgs/msg/ControlTick', 'control_ticks', (m) => ticks.push(m), {
    qos: 'record',
  });
  const diagnostics: DiagnosticArrayMsg[] = [];
  world.createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', (m) => diagnostics.push(m));
  const estop = world.createPublisher('std_msgs/msg/Bool', 'estop', { qos: 'latched' });
  const mode = world.createPublisher('std_msgs/msg/String', 'mode', { qos: 'latched' });
  return { bus, world, policy, controller, tick, state, commands, ticks, diagnostics, estop, mode };
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
      policies: { mpc: new FixedPolicy() },
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

test('e-stop gives the safe action at the next tick and clears', async () => {
  const { bus, tick, state, commands, estop, controller } = setup();
  try {
    state(0.04, 0);
    tick(0.05);
    assert.deepEqual(commands.at(-1), [0.5]);
    estop.publish({ data: true });
    state(0.09, 0);
    tick(0.1);
    assert.deepEqual(commands.at(-1), [0]);
    assert.equal(controller.lastTick.safeReason, 'e-stop');
    assert.equal(controller.lastTick.source, 'safe');
    estop.publish({ data: false });
    state(0.14, 0);
    tick(0.15);
    assert.deepEqual(commands.at(-1), [0.5]);
  } finally {
    await bus.shutdown();
  }
});

test('a NaN state gives the safe action within one tick, even right after a good one', async () => {
  const { bus, tick, state, commands, controller } = setup();
  try {
    state(0.04, 0);
    state(0.045, Number.NaN);
    tick(0.05);
    assert.deepEqual(commands.at(-1), [0]);
    assert.equal(controller.lastTick.safeReason, 'invalid state');
    state(0.09, 0.1);
    tick(0.1);
    assert.deepEqual(commands.at(-1), [0.5], 'recovers on the next good state');
  } finally {
    await bus.shutdown();
  }
});

test('out-of-range state, mode stop and an unready policy give the safe action', async () => {
  const { bus, tick, state, commands, controller, policy, mode } = setup({
    stateLimits: { angular_velocity: { min: -5, max: 5 } },
  });
  try {
    state(0.04, 0, 9);
    tick(0.05);
    assert.deepEqual(commands.at(-1), [0]);
    assert.match(controller.lastTick.safeReason ?? '', /angular_velocity = 9\.000 is outside \[-5, 5\]/);
    mode.publish({ data: 'stop' });
    assert.equal(controller.mode, 'stop');
    state(0.09, 0, 0);
    tick(0.1);
    assert.equal(controller.lastTick.safeReason, 'mode stop');
    mode.publish({ data: 'warp-drive' });
    mode.publish({ data: 'teleop' });
    assert.equal(controller.mode, 'stop', 'unknown or unconfigured modes are refused');
    assert.equal(controller.stats.rejectedModes, 2);
    mode.publish({ data: 'mpc' });
    policy.act = () => {
      throw new PolicyNotReadyError('no model yet');
    };
    state(0.14, 0, 0);
    tick(0.15);
    assert.deepEqual(commands.at(-1), [0]);
    assert.equal(controller.lastTick.safeReason, 'mpc not ready: no model yet');
    assert.equal(controller.stats.notReadyTicks, 1);
    assert.equal(controller.stats.policyErrors, 0);
  } finally {
    await bus.shutdown();
  }
});

test('rate limits bound the change per tick; the safe action is not slowed', async () => {
  const { bus, tick, state, commands, policy, estop } = setup({
    actionLimits: { torque: { rate_limit_per_s: 4 } },
  });
  try {
    policy.value = 1;
    for (let k = 1; k <= 4; k++) {
      state(0.05 * k - 0.01, 0);
      tick(0.05 * k);
    }
    // 4 per s at 20 Hz is 0.2 per tick.
    assert.deepEqual(
      commands.map((c) => Number(c[0].toFixed(6))),
      [0.2, 0.4, 0.6, 0.8],
    );
    estop.publish({ data: true });
    state(0.24, 0);
    tick(0.25);
    assert.deepEqual(commands.at(-1), [0]);
  } finally {
    await bus.shutdown();
  }
});

test('teleop mode passes fresh operator commands through and stops on a stale link', async () => {
  const bus = new InProcessBus({ loggerFactory: (n) => new MemoryLogger(n) });
  try {
    const node = bus.createNode('controller', { useSimTime: true });
    const teleop = new TeleopPolicy({ actionDim: 1, timeoutSeconds: 0.1 });
    teleop.subscribe(node);
    const controller = new ControllerNode(node, {
      task,
      policies: { teleop },
      rateHz: 20,
      staleTimeoutSeconds: 1,
      safeAction: 'zero',
    });
    const world = bus.createNode('world', { useSimTime: true });
    const clock = world.createPublisher('rosgraph_msgs/msg/Clock', '/clock');
    const joints = world.createPublisher('sensor_msgs/msg/JointState', 'joint_states');
    const op = world.createPublisher('std_msgs/msg/Float64MultiArray', 'teleop/command');
    const state = (t: number) =>
      joints.publish({
        header: { stamp: timeFromSeconds(t), frame_id: '' },
        name: ['hinge'],
        position: [0],
        velocity: [0],
        effort: [],
      });
    clock.publish({ clock: timeFromSeconds(0.01) });
    op.publish(float64Array([-0.3]));
    op.publish(float64Array([Number.NaN]));
    assert.equal(teleop.rejected, 1);
    state(0.04);
    clock.publish({ clock: timeFromSeconds(0.05) });
    assert.equal(controller.lastTick.source, 'teleop');
    assert.deepEqual(Array.from(controller.lastTick.action), [-0.3]);
    state(0.19);
    clock.publish({ clock: timeFromSeconds(0.2) });
    assert.equal(controller.lastTick.source, 'safe');
    assert.match(controller.lastTick.safeReason ?? '', /teleop command is 0\.190 s old/);
  } finally {
    await bus.shutdown();
  }
});

test('publishes every tick for the logger, marks the terminal tick, and sends diagnostics', async () => {
  const { bus, tick, state, ticks, diagnostics, controller } = setup();
  try {
    controller.resetEpisode({ steps: 2 });
    for (let k = 1; k <= 3; k++) {
      state(0.05 * k - 0.01, 0.1 * k);
      tick(0.05 * k);
    }
    assert.deepEqual(
      ticks.map((t) => [t.episode, t.step, t.terminal, t.source]),
      [
        [1, 0, false, 'mpc'],
        [1, 1, false, 'mpc'],
        [1, 2, true, 'safe'],
      ],
    );
    assert.ok(Math.abs(ticks[1].state[0] - 0.2) < 1e-12);
    assert.deepEqual(ticks[1].action, [0.5]);
    assert.equal(ticks[2].safe_reason, 'episode ended');
    tick(1.0);
    assert.ok(diagnostics.length >= 1);
    const values = new Map(diagnostics.at(-1)!.status[0].values.map((v) => [v.key, v.value]));
    assert.equal(values.get('mode'), 'mpc');
    assert.equal(values.get('ticks'), String(controller.stats.ticks));
    assert.ok(values.has('jitter_p99_ms') && values.has('plan_age_s') && values.has('model_version'));
  } finally {
    await bus.shutdown();
  }
});

test('per-action Float64 command topics carry each action times its scale, safe action included', async () => {
  const { bus, world, policy, tick, state } = setup({
    topics: { jointCommands: [{ topic: 'command/hinge', scale: 10 }] },
  });
  try {
    const forces: number[] = [];
    world.createSubscription('std_msgs/msg/Float64', 'command/hinge', (m) => forces.push(m.data), {
      qos: 'command',
    });
    state(0.04, 0.1);
    tick(0.05);
    policy.value = -0.3;
    state(0.09, 0.1);
    tick(0.1);
    tick(0.4); // stale: the safe action goes out on the per-joint topic too
    assert.deepEqual(forces, [5, -3, 0]);
  } finally {
    await bus.shutdown();
  }
  const { task } = loadTask('pendulum-swingup');
  assert.throws(
    () =>
      new ControllerNode(new InProcessBus().createNode('c'), {
        task,
        policies: {},
        rateHz: 10,
        staleTimeoutSeconds: 0.1,
        safeAction: 'zero',
        topics: {
          jointCommands: [
            { topic: 'a', scale: 1 },
            { topic: 'b', scale: 1 },
          ],
        },
      }),
    /expected one topic per action \(1\), got 2/,
  );
});

test('inactive: no commands until activate(); deactivate() sends one safe command, then silence', async () => {
  const { bus, controller, tick, state, commands, ticks } = setup({ inactive: true });
  try {
    assert.equal(controller.active, false);
    state(0.04, 0.1);
    tick(0.05);
    tick(0.1);
    assert.deepEqual(commands, [], 'an inactive controller commands nothing');
    controller.activate();
    state(0.14, 0.1);
    tick(0.15);
    assert.deepEqual(commands, [[0.5]]);
    controller.deactivate();
    assert.deepEqual(commands, [[0.5], [0]], 'the safe (zero) action goes out at once');
    assert.equal(ticks.at(-1)?.safe_reason, 'deactivated');
    state(0.19, 0.1);
    tick(0.2);
    tick(0.25);
    assert.equal(commands.length, 2, 'nothing after deactivate');
    controller.activate();
    state(0.29, 0.1);
    tick(0.3);
    assert.deepEqual(commands.at(-1), [0.5], 'reactivated');
  } finally {
    await bus.shutdown();
  }
});

test('joint offsets are added to positions before the task sees them (and angles wrap after)', async () => {
  const { bus, policy, tick, state } = setup({ jointOffsets: { hinge: Math.PI } });
  try {
    state(0.04, 0.25, 0.5);
    tick(0.05);
    assert.ok(Math.abs(policy.seen[0][0] - wrapAngle(0.25 + Math.PI)) < 1e-12, `angle ${policy.seen[0][0]}`);
    assert.equal(policy.seen[0][1], 0.5, 'velocities are not offset');
  } finally {
    await bus.shutdown();
  }
});

test('a joint state stamped before the newest one never replaces it: dropped and counted', async () => {
  const { bus, policy, controller, tick, state, diagnostics } = setup();
  try {
    state(0.04, 0.1, 1);
    state(0.02, 0.9, 9); // delayed: arrives after a newer one
    tick(0.05);
    assert.deepEqual(policy.seen.at(-1), [0.1, 1], 'the newer state is the one acted on');
    assert.equal(controller.stats.outOfOrderStates, 1);
    assert.equal(controller.lastTick.source, 'mpc');
    // An old NaN is just as superseded: it must not invalidate the newer good state either.
    state(0.03, Number.NaN);
    state(0.09, 0.2, 2);
    state(0.06, Number.NaN);
    tick(0.1);
    assert.equal(controller.lastTick.source, 'mpc');
    assert.deepEqual(policy.seen.at(-1), [0.2, 2]);
    assert.equal(controller.stats.outOfOrderStates, 3);
    assert.equal(controller.stats.rejectedStates, 0);
    // A newer invalid message counts, and an older valid one cannot undo it.
    state(0.14, Number.NaN);
    state(0.12, 0.3, 3);
    tick(0.15);
    assert.equal(controller.lastTick.safeReason, 'invalid state');
    tick(1.0);
    const values = new Map(diagnostics.at(-1)!.status[0].values.map((v) => [v.key, v.value]));
    assert.equal(values.get('out_of_order_states'), '4');
  } finally {
    await bus.shutdown();
  }
});

test('a joint state stamped ahead of the clock by more than the stale timeout is rejected', async () => {
  const { bus, controller, tick, state, commands } = setup();
  try {
    tick(0.05);
    state(10, 0.1); // a driver clock 10 s ahead would look fresh for 10 s and block newer stamps
    tick(0.1);
    assert.equal(controller.lastTick.safeReason, 'invalid state');
    assert.equal(controller.stats.rejectedStates, 1);
    state(0.14, 0.1);
    tick(0.15);
    assert.deepEqual(commands.at(-1), [0.5], 'a correctly stamped message is accepted right after');
    // Within the tolerance (sensors published just before /clock in lockstep): accepted.
    state(0.25, 0.2);
    tick(0.2);
    assert.equal(controller.lastTick.source, 'mpc');
  } finally {
    await bus.shutdown();
  }
});

test('frozenTimeoutSeconds: a state bit-identical while driven gives the safe action until it changes', async () => {
  const { bus, controller, tick, state, commands, policy } = setup({ frozenTimeoutSeconds: 0.3 });
  try {
    let k = 1;
    const step = (angle: number) => {
      state(0.05 * k - 0.01, angle);
      tick(0.05 * k);
      k++;
    };
    step(0.1);
    // Unchanged from the third tick (t = 0.15): seven ticks in, 0.25 s of evidence; one more trips.
    for (let i = 0; i < 7; i++) step(0.2);
    assert.equal(controller.lastTick.source, 'mpc');
    step(0.2);
    assert.equal(controller.lastTick.safeReason, 'sensor frozen');
    assert.deepEqual(commands.at(-1), [0]);
    assert.equal(controller.stats.frozenTrips, 1);
    step(0.2);
    assert.equal(controller.lastTick.safeReason, 'sensor frozen', 'latched while unchanged');
    step(0.21);
    assert.equal(controller.lastTick.source, 'mpc', 'a change clears it');
    for (let i = 0; i < 8; i++) step(0.21);
    assert.equal(controller.lastTick.safeReason, 'sensor frozen');
    assert.equal(controller.stats.frozenTrips, 2);
    // So does the operator switching mode (a robot at rest may read constant for good).
    controller.setMode('stop');
    controller.setMode('mpc');
    step(0.21);
    assert.equal(controller.lastTick.source, 'mpc');
    // A policy commanding zero gives no evidence: a robot held at rest may read constant.
    policy.value = 0;
    for (let i = 0; i < 20; i++) step(0.5);
    assert.equal(controller.lastTick.source, 'mpc');
    assert.equal(controller.stats.frozenTrips, 2);
  } finally {
    await bus.shutdown();
  }
  // Off by default: the same frozen data is acted on.
  const off = setup();
  try {
    for (let k = 1; k <= 40; k++) {
      off.state(0.05 * k - 0.01, 0.2);
      off.tick(0.05 * k);
    }
    assert.equal(off.controller.lastTick.source, 'mpc');
  } finally {
    await off.bus.shutdown();
  }
});
