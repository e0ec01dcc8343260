import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { z } from 'zod';
import { TeleopSchema } from '../../config/robot-schema.js';
import { loadTask } from '../../config/task-loader.js';
import type { Task } from '../../config/task-schema.js';
import { TeleopPolicy } from '../../policies/teleop-policy.js';
import { InProcessBus } from '../../runtime/in-process-bus.js';
import { MemoryLogger } from '../../runtime/memory-logger.js';
import type { ControlTickMsg, JoyMsg } from '../../runtime/messages.js';
import { timeFromSeconds } from '../../runtime/time.js';
import { ControllerNode } from '../controller/controller-node.js';
import { CTRL_C, TeleopKeyboardInput } from './keyboard-input.js';
import { deadZone, TeleopNode } from './teleop-node.js';

const cartpole = loadTask('cartpole-swingup').task;
const reacher = loadTask('reacher-2link').task;

const LEGEND = 'keys: a/d cart_force, space zero, e e-stop, r release, q quit';

/** Polls (no fixed sleeps) until `condition` holds. */
async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for condition');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function setup(
  options: {
    task?: Task;
    config?: z.input<typeof TeleopSchema>;
    useSimTime?: boolean;
    start?: boolean;
    modeKeys?: boolean;
  } = {},
) {
  const logs = new MemoryLogger('test');
  const bus = new InProcessBus({ loggerFactory: logs.factory });
  const useSimTime = options.useSimTime ?? true;
  const stream = new PassThrough();
  const input = new TeleopKeyboardInput({ stream });
  const lines: string[] = [];
  let quits = 0;
  const teleop = new TeleopNode(bus.createNode('teleop', { useSimTime }), {
    task: options.task ?? cartpole,
    config: TeleopSchema.parse(options.config ?? {}),
    input,
    status: (line) => lines.push(line),
    onQuit: () => quits++,
    modeKeys: options.modeKeys,
  });
  const world = bus.createNode('world', { useSimTime });
  const modes: string[] = [];
  world.createSubscription('std_msgs/msg/String', 'mode', (m) => modes.push(m.data), { qos: 'latched' });
  const commands: number[][] = [];
  world.createSubscription('std_msgs/msg/Float64MultiArray', 'teleop/command', (m) => commands.push(m.data));
  const estops: boolean[] = [];
  world.createSubscription('std_msgs/msg/Bool', 'estop', (m) => estops.push(m.data), { qos: 'latched' });
  const joyPub = world.createPublisher('sensor_msgs/msg/Joy', 'joy');
  const joy = (axes: number[], buttons: number[]) =>
    joyPub.publish({ header: { stamp: timeFromSeconds(0), frame_id: '' }, axes, buttons });
  const clockPub = world.createPublisher('rosgraph_msgs/msg/Clock', '/clock');
  const clock = (t: number) => clockPub.publish({ clock: timeFromSeconds(t) });
  if (options.start ?? true) teleop.start();
  // start() publishes the initial command once; tests look at what their own input causes.
  commands.length = 0;
  /** Types `text` and waits until the node has received `keys` keys (default one per character). */
  const type = async (text: string, keys = text.length) => {
    const target = teleop.stats.keys + keys;
    stream.write(text);
    await until(() => teleop.stats.keys >= target);
  };
  return {
    bus,
    logs,
    stream,
    input,
    teleop,
    world,
    commands,
    estops,
    joy,
    joyPub,
    clock,
    lines,
    type,
    modes,
    quits: () => quits,
  };
}

test('default keys step the cart-pole force by a tenth of its range, clamp at the bounds, and zero', async () => {
  const { bus, teleop, commands, type } = setup();
  try {
    assert.deepEqual(teleop.command, [0]);
    await type('ddd');
    assert.deepEqual(commands, [[0.2], [0.4], [0.6]], 'each press publishes at once');
    await type('a');
    assert.deepEqual(teleop.command, [0.4]);
    await type('dddddd');
    assert.deepEqual(commands.slice(-4), [[1], [1], [1], [1]], 'keys cannot wind up past the bound');
    await type('a');
    assert.deepEqual(teleop.command, [0.8], 'one press comes back off the bound');
    await type(' ');
    assert.deepEqual(commands.at(-1), [0]);
    await type('a'.repeat(15));
    assert.deepEqual(teleop.command, [-1]);
    assert.equal(teleop.stats.keys, 27);
    assert.equal(teleop.stats.published, commands.length + 1);
  } finally {
    await bus.shutdown();
  }
});

test('default key pairs follow the action order (reacher: a/d, j/l), other keys are ignored', async () => {
  const { bus, teleop, commands, lines, type } = setup({ task: reacher });
  try {
    await type('l');
    await type('a');
    assert.deepEqual(commands, [
      [0, 0.2],
      [-0.2, 0.2],
    ]);
    await type('zcuoxy?', 7);
    assert.equal(commands.length, 2, 'keys for actions the task lacks and unknown keys publish nothing');
    assert.equal(teleop.stats.keys, 9, 'but they are counted');
    assert.match(lines.at(-1)!, /keys: a\/d shoulder_torque, j\/l elbow_torque, space zero, e e-stop/);
  } finally {
    await bus.shutdown();
  }
});

test('configured keys; an unmapped capital falls back to its lower case; bad key maps are refused', async () => {
  const { bus, teleop, lines, type } = setup({
    config: {
      keyboard: {
        keys: [
          { key: 'w', action: 'cart_force', delta: 0.25 },
          { key: 's', action: 'cart_force', delta: -0.25 },
          { key: 'W', action: 'cart_force', delta: 1 },
        ],
      },
    },
  });
  try {
    await type('w');
    assert.deepEqual(teleop.command, [0.25]);
    await type('S');
    assert.deepEqual(teleop.command, [0], 'Caps Lock: S acts as s');
    await type('W');
    assert.deepEqual(teleop.command, [1], 'a mapped capital keeps its own binding');
    assert.match(lines.at(-1)!, /keys: s\/w\/W cart_force, space zero/);
  } finally {
    await bus.shutdown();
  }
  const make = (config: z.input<typeof TeleopSchema>) => {
    const b = new InProcessBus({ loggerFactory: (n) => new MemoryLogger(n) });
    try {
      new TeleopNode(b.createNode('t'), { task: cartpole, config: TeleopSchema.parse(config) });
    } finally {
      void b.shutdown();
    }
  };
  const key = (k: string, action = 'cart_force') => ({ key: k, action, delta: 0.1 });
  assert.throws(() => make({ keyboard: { keys: [key('e')] } }), /key e is already the estop_key key/);
  assert.throws(() => make({ keyboard: { keys: [key('q')] } }), /key q is already the quit key/);
  assert.throws(() => make({ keyboard: { keys: [key('x'), key('x')] } }), /key x is mapped twice/);
  assert.throws(() => make({ keyboard: { keys: [key('x', 'nope')] } }), /unknown action "nope".*cart_force/);
  assert.throws(() => make({ keyboard: { estop_key: ' ' } }), /estop_key space is already the zero_key key/);
  assert.throws(() => make({ keyboard: { estop_key: 'd' } }), /key d is already the estop_key key/);
  assert.throws(
    () => make({ joy: { axes: [{ axis: 0, action: 'torque', scale: 1 }] } }),
    /teleop joy axis: unknown action "torque"/,
  );
});

test('status line after every change, with value, bounds, e-stop, mode and key legend', async () => {
  const { bus, world, lines, type } = setup();
  try {
    assert.equal(lines.at(-1), `teleop  cart_force +0.00 [-1, 1]  estop: off  ${LEGEND}`);
    const before = lines.length;
    await type('dd');
    assert.equal(lines.length, before + 2);
    assert.equal(lines.at(-1), `teleop  cart_force +0.40 [-1, 1]  estop: off  ${LEGEND}`);
    await type('aaa');
    assert.equal(lines.at(-1), `teleop  cart_force -0.20 [-1, 1]  estop: off  ${LEGEND}`);
    world.createPublisher('std_msgs/msg/String', 'mode', { qos: 'latched' }).publish({ data: 'teleop' });
    assert.equal(lines.at(-1), `teleop  cart_force -0.20 [-1, 1]  estop: off  mode: teleop  ${LEGEND}`);
    await type('e');
    assert.equal(lines.at(-1), `teleop  cart_force +0.00 [-1, 1]  estop: ON  mode: teleop  ${LEGEND}`);
  } finally {
    await bus.shutdown();
  }
});

test('e-stop and release keys publish latched Bools; the command stays zero while stopped', async () => {
  const { bus, world, teleop, commands, estops, type } = setup();
  try {
    await type('dd');
    await type('e');
    assert.deepEqual(estops, [true]);
    assert.equal(teleop.estopActive, true);
    assert.deepEqual(commands.at(-1), [0]);
    await type('ddd');
    assert.deepEqual(teleop.command, [0], 'releasing must not jump to values typed during the e-stop');
    const late: boolean[] = [];
    world.createSubscription('std_msgs/msg/Bool', 'estop', (m) => late.push(m.data), { qos: 'latched' });
    assert.deepEqual(late, [true], 'a controller started after the press still learns it');
    await type('r');
    assert.deepEqual(estops, [true, false]);
    assert.equal(teleop.estopActive, false);
    await type('d');
    assert.deepEqual(teleop.command, [0.2]);
    // An e-stop from elsewhere on the shared topic zeroes and shows here too.
    world.createPublisher('std_msgs/msg/Bool', 'estop', { qos: 'latched' }).publish({ data: true });
    assert.equal(teleop.estopActive, true);
    assert.deepEqual(commands.at(-1), [0]);
  } finally {
    await bus.shutdown();
  }
});

test('arrow-key escape sequences do not produce letter keys', async () => {
  // The 'D' of "\x1b[D" would step the force through the capital fallback if it leaked.
  const { bus, teleop, commands, type } = setup({ task: reacher });
  try {
    await type('\x1b[D\x1b[C\x1b[A\x1b[B\x1bOD\x1b[1;5D', 6);
    assert.deepEqual(commands, []);
    assert.deepEqual(teleop.command, [0, 0]);
    await type('d');
    assert.deepEqual(commands, [[0.2, 0]]);
  } finally {
    await bus.shutdown();
  }
});

test("Ctrl-C and 'q' zero the command, publish it, and call onQuit", async () => {
  const { bus, commands, type, quits } = setup();
  try {
    await type('dd');
    await type(CTRL_C);
    assert.equal(quits(), 1);
    assert.deepEqual(commands.at(-1), [0]);
    await type('dq');
    assert.equal(quits(), 2);
    assert.deepEqual(commands.at(-1), [0]);
  } finally {
    await bus.shutdown();
  }
});

test('dead zone output is continuous at its edge and reaches full scale', () => {
  assert.equal(deadZone(0.1, 0.2), 0);
  assert.equal(deadZone(-0.2, 0.2), 0);
  assert.ok(Math.abs(deadZone(0.2 + 1e-9, 0.2)) < 1e-8);
  assert.ok(Math.abs(deadZone(0.6, 0.2) - 0.5) < 1e-12);
  assert.equal(deadZone(-1, 0.2), -1);
  assert.equal(deadZone(0.5, 0), 0.5);
});

const JOY = {
  axes: [{ axis: 1, action: 'cart_force', scale: 2, deadzone: 0.25 }],
  deadman_button: 4,
  estop_button: 0,
  release_button: 1,
};

test('joy axes act through the dead zone only while the dead-man button is held', async () => {
  const { bus, teleop, commands, joy, lines } = setup({ config: { joy: JOY } });
  const held = [0, 0, 0, 0, 1];
  const released = [0, 0, 0, 0, 0];
  try {
    assert.match(lines.at(-1)!, /joy: waiting/);
    joy([0, 1], released);
    assert.deepEqual(teleop.command, [0], 'no dead-man, no action');
    assert.deepEqual(commands, []);
    joy([0, 0.1], held);
    assert.deepEqual(teleop.command, [0], 'inside the dead zone');
    joy([0, 0.4375], held);
    assert.deepEqual(teleop.command, [0.5], '2 * (0.4375 - 0.25) / 0.75');
    assert.match(lines.at(-1)!, /joy: deadman held/);
    joy([0, -1], held);
    assert.deepEqual(teleop.command, [-1]);
    joy([0, 1], held);
    assert.deepEqual(teleop.command, [1], 'clamped to the task bound');
    joy([0, 1], released);
    assert.deepEqual(teleop.command, [0], 'letting go of the dead-man zeroes');
    assert.match(lines.at(-1)!, /joy: deadman released/);
    joy([0, 1], released);
    assert.deepEqual(teleop.command, [0]);
    assert.deepEqual(commands, [[0.5], [-1], [1], [0]], 'changes are published at once');
    assert.equal(teleop.stats.joyMessages, 7);
    assert.equal(teleop.stats.joyRejected, 0);
  } finally {
    await bus.shutdown();
  }
});

test('joy e-stop and release buttons act on the rising edge', async () => {
  const { bus, teleop, estops, joy } = setup({ config: { joy: JOY } });
  try {
    joy([0, 0.4375], [0, 0, 0, 0, 1]);
    assert.deepEqual(teleop.command, [0.5]);
    joy([0, 0.4375], [1, 0, 0, 0, 1]);
    joy([0, 0.4375], [1, 0, 0, 0, 1]);
    assert.deepEqual(estops, [true], 'held, not repeated');
    assert.deepEqual(teleop.command, [0], 'e-stop zeroes and axes are ignored while it is on');
    joy([0, 0.4375], [0, 1, 0, 0, 1]);
    assert.deepEqual(estops, [true, false]);
    assert.deepEqual(teleop.command, [0.5]);
    joy([0, 0.4375], [0, 0, 0, 0, 1]);
    joy([0, 0.4375], [1, 1, 0, 0, 1]);
    assert.deepEqual(estops, [true, false, false, true], 'both pressed at once: the e-stop wins');
    assert.equal(teleop.estopActive, true);
  } finally {
    await bus.shutdown();
  }
});

test('malformed Joy messages are counted and warned (throttled), never thrown', async () => {
  const { bus, logs, teleop, joy, joyPub } = setup({ config: { joy: JOY } });
  try {
    const bad: unknown[] = [
      { axes: [0, Number.NaN], buttons: [0, 0, 0, 0, 1] },
      { axes: [0, Infinity], buttons: [0, 0, 0, 0, 1] },
      { axes: [0.5], buttons: [0, 0, 0, 0, 1] },
      { axes: [0, 0.5], buttons: [0, 0, 1] },
      { axes: 'up', buttons: [0, 0, 0, 0, 1] },
      { axes: [0, 0.5] },
      { axes: [0, '0.5'], buttons: [0, 0, 0, 0, 1] },
    ];
    // Messages from another process are not typed: the cast is what a bad driver does.
    for (const msg of bad) joyPub.publish(msg as JoyMsg);
    assert.equal(teleop.stats.joyMessages, bad.length);
    assert.equal(teleop.stats.joyRejected, bad.length);
    assert.deepEqual(teleop.command, [0]);
    assert.equal(bus.stats().topics['/joy'].callbackErrors, 0);
    const warnings = logs.at('warn').filter((e) => e.message.includes('ignored Joy message'));
    assert.equal(warnings.length, 1, 'a flood of bad messages is one warning per second');
    assert.match(warnings[0].message, /axes\[1\] = NaN is not a finite number/);
    // rclnodejs may deliver typed arrays: those are fine.
    joyPub.publish({
      header: { stamp: timeFromSeconds(0), frame_id: '' },
      axes: Float32Array.from([0, 0.4375]) as unknown as number[],
      buttons: Int32Array.from([0, 0, 0, 0, 1]) as unknown as number[],
    });
    assert.deepEqual(teleop.command, [0.5]);
    joy([0, 0.4375], [0, 0, 0, 0, 0]);
    assert.equal(teleop.stats.joyRejected, bad.length);
  } finally {
    await bus.shutdown();
  }
});

test('a silent joystick stops being republished as a fresh command', async () => {
  const { bus, logs, teleop, commands, joy, clock, lines } = setup({ config: { joy: JOY, timeout_s: 0.5 } });
  try {
    clock(0.1);
    joy([0, 0.4375], [0, 0, 0, 0, 1]);
    clock(0.3);
    assert.deepEqual(commands.at(-1), [0.5], 'held value republished while the joystick is alive');
    clock(0.7);
    assert.deepEqual(commands.at(-1), [0]);
    assert.deepEqual(teleop.command, [0]);
    assert.match(lines.at(-1)!, /joy: lost/);
    assert.ok(
      logs.at('warn').some((e) => /joystick silent for 0\.6\d* s on joy: command zeroed/.test(e.message)),
    );
    joy([0, 0.4375], [0, 0, 0, 0, 1]);
    assert.deepEqual(teleop.command, [0.5], 'it comes back with the next message');
  } finally {
    await bus.shutdown();
  }
});

test('republishes the held command at rate_hz on the node timer', async () => {
  const { bus, teleop, commands, type } = setup({ useSimTime: false, config: { rate_hz: 100 } });
  try {
    await type('d');
    const after = commands.length;
    await until(() => commands.length >= after + 5);
    assert.ok(commands.slice(after - 1).every((c) => c[0] === 0.2));
    assert.ok(teleop.stats.published >= after + 5);
  } finally {
    teleop.destroy();
    await bus.shutdown();
  }
});

test('nothing is published before start(), though inputs are tracked; start is idempotent', async () => {
  const { bus, world, teleop, commands, input, clock, lines } = setup({ start: false });
  try {
    clock(1);
    world.createPublisher('std_msgs/msg/Bool', 'estop', { qos: 'latched' }).publish({ data: true });
    assert.equal(teleop.estopActive, true);
    assert.deepEqual(commands, []);
    assert.deepEqual(lines, []);
    assert.equal(input.running, false);
    teleop.start();
    teleop.start();
    assert.deepEqual(commands, [[0]]);
    assert.match(lines.at(-1)!, /estop: ON/);
    assert.equal(input.running, true);
    clock(1.05);
    assert.equal(commands.length, 2, 'one republish timer');
  } finally {
    await bus.shutdown();
  }
});

test('destroy publishes zeros, stops timers and the keyboard; a closed keyboard zeroes too', async () => {
  const { bus, teleop, commands, stream, input, clock, type } = setup();
  try {
    await type('dd');
    teleop.destroy();
    teleop.destroy();
    assert.deepEqual(commands.at(-1), [0]);
    const count = commands.length;
    clock(1);
    assert.equal(commands.length, count, 'no republish after destroy');
    assert.equal(input.running, false);
    assert.equal(stream.listenerCount('data'), 0);
    teleop.press('d');
    assert.equal(commands.length, count);
  } finally {
    await bus.shutdown();
  }
  const other = setup();
  try {
    await other.type('ddd');
    other.stream.end();
    await until(() => other.teleop.command[0] === 0);
    assert.deepEqual(other.commands.at(-1), [0]);
    assert.ok(other.logs.at('warn').some((e) => /input stream ended; command zeroed/.test(e.message)));
  } finally {
    await other.bus.shutdown();
  }
});

test('the controller applies the teleop command (clamped) with source teleop, kept fresh by republishing', async () => {
  const logs = new MemoryLogger('test');
  const bus = new InProcessBus({ loggerFactory: logs.factory });
  const config = TeleopSchema.parse({ rate_hz: 20, timeout_s: 0.25 });
  const stream = new PassThrough();
  try {
    const controllerNode = bus.createNode('controller', { useSimTime: true });
    const policy = new TeleopPolicy({ actionDim: cartpole.action.length, timeoutSeconds: config.timeout_s });
    policy.subscribe(controllerNode);
    const controller = new ControllerNode(controllerNode, {
      task: cartpole,
      policies: { teleop: policy },
      rateHz: 25,
      staleTimeoutSeconds: 0.2,
      safeAction: 'zero',
      actionLimits: { cart_force: { max: 0.5 } },
    });
    const teleop = new TeleopNode(bus.createNode('teleop', { useSimTime: true }), {
      task: cartpole,
      config,
      input: new TeleopKeyboardInput({ stream }),
    });
    teleop.start();
    const world = bus.createNode('world', { useSimTime: true });
    const clock = world.createPublisher('rosgraph_msgs/msg/Clock', '/clock');
    const joints = world.createPublisher('sensor_msgs/msg/JointState', 'joint_states');
    const ticks: ControlTickMsg[] = [];
    world.createSubscription('mbrl_msgs/msg/ControlTick', 'control_ticks', (m) => ticks.push(m), {
      qos: 'record',
    });
    let t = 0;
    const step = () => {
      t += 0.04;
      joints.publish({
        header: { stamp: timeFromSeconds(t - 0.01), frame_id: '' },
        name: ['slider', 'hinge'],
        position: [0, Math.PI],
        velocity: [0, 0],
        effort: [],
      });
      clock.publish({ clock: timeFromSeconds(t) });
    };
    const type = async (text: string) => {
      const target = teleop.stats.keys + text.length;
      stream.write(text);
      await until(() => teleop.stats.keys >= target);
    };

    await type('dddd');
    assert.deepEqual(teleop.command, [0.8]);
    // One second with no key presses: the republished command keeps the teleop policy fresh.
    for (let k = 0; k < 25; k++) step();
    assert.equal(ticks.length, 25);
    for (const tick of ticks) {
      assert.equal(tick.source, 'teleop', `tick ${tick.step}: ${tick.safe_reason}`);
      assert.deepEqual(tick.action, [0.5], 'clamped by the controller limit');
    }
    await type('e');
    step();
    assert.equal(controller.estopActive, true);
    assert.equal(ticks.at(-1)!.source, 'safe');
    assert.equal(ticks.at(-1)!.safe_reason, 'e-stop');
    await type('raa');
    step();
    assert.equal(controller.estopActive, false);
    assert.equal(ticks.at(-1)!.source, 'teleop');
    assert.deepEqual(ticks.at(-1)!.action, [-0.4]);
    assert.equal(policy.rejected, 0);
    assert.deepEqual(
      logs.at('warn').filter((e) => /incompatible QoS/.test(e.message)),
      [],
      'teleop publishers match the controller and policy subscriptions',
    );
    teleop.destroy();
    controller.destroy();
  } finally {
    await bus.shutdown();
  }
});

test('mode keys switch the controller mode only when enabled (beside another controller)', async () => {
  const off = setup();
  await off.type('tms');
  assert.deepEqual(off.modes, [], 'pure teleop: mode keys do nothing');
  off.teleop.destroy();
  await off.bus.shutdown();

  const on = setup({ modeKeys: true });
  await on.type('tmxs');
  assert.deepEqual(on.modes, ['teleop', 'mpc', 'random', 'stop']);
  assert.match(on.teleop.statusLine(), /t teleop, m mpc, x random, s stop/);
  // Taking over (t) starts from neutral, whatever was nudged before; other mode keys leave it.
  assert.deepEqual(on.commands, [[0]]);
  await on.type('dd');
  await on.type('t');
  assert.deepEqual(on.commands.at(-1), [0]);
  on.teleop.destroy();
  await on.bus.shutdown();
  assert.throws(
    () =>
      setup({
        modeKeys: true,
        config: { keyboard: { keys: [{ key: 'm', action: 'cart_force', delta: 0.1 }] } },
      }),
    /key "?m"? is already the mode mpc key/,
  );
});
