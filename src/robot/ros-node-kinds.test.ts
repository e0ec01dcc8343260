// The node kinds of `mbrl ros`, composed on one in-process bus as separate processes would be
// on ROS 2: the same nodes, topics and parameters; only the transport differs.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../config/package-paths.js';
import { readTransitionLog } from '../datalog/transition-log-reader.js';
import { SocatPtyPair, serialTestSkipReason } from '../hardware/testing/socat-pty-pair.js';
import { waitFor } from '../hardware/testing/wait-for.js';
import { InProcessBus } from '../runtime/in-process-bus.js';
import { setLogSink } from '../runtime/logger.js';
import type { Float64MultiArrayMsg } from '../runtime/messages.js';
import type { NodeOptions } from '../runtime/node-api.js';
import {
  SHIPPED_CARTPOLE_CALIBRATION,
  SHIPPED_CARTPOLE_DEVICE,
  shippedCartpoleSerialBoard,
} from '../virtual-devices/testing/shipped-cartpole-serial-board.js';
import { resolveRobotConfigPath, startRosNodeKind } from './ros-node-kinds.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function simRobotConfig(dir: string, controller = '{ type: random, seed: 3, smoothing: 0.5 }'): string {
  const file = join(dir, 'robot.yaml');
  writeFileSync(
    file,
    [
      'robot: cartpole',
      'task: cartpole-swingup',
      'control: { rate_hz: 25, stale_timeout_s: 0.2, safe_action: zero, clock: wall }',
      `controller: ${controller}`,
      `logger: { dir: ${JSON.stringify(join(dir, 'logs'))}, flush_interval_s: 0.2 }`,
      'drivers:',
      '  - { type: sim, mode: realtime, sensor_rate_hz: 100 }',
    ].join('\n'),
  );
  return file;
}

test('robot config lookup: a path, or a name in hardware/robots; a miss lists what was tried', () => {
  assert.equal(
    resolveRobotConfigPath('cartpole-serial'),
    join(packageRoot(), 'hardware/robots/cartpole-serial.yaml'),
  );
  assert.equal(
    resolveRobotConfigPath('hardware/robots/cartpole-sim.yaml'),
    join(packageRoot(), 'hardware/robots/cartpole-sim.yaml'),
  );
  assert.throws(
    () => resolveRobotConfigPath('nope-robot'),
    /robot config 'nope-robot' not found \(tried: .*hardware\/robots\/nope-robot\.yaml/,
  );
  assert.throws(() => resolveRobotConfigPath(''), /--config <robot.yaml> or the robot_config parameter/);
});

test('sim, controller and data_logger kinds, each as its own process would run it, close the loop', async () => {
  setLogSink(() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'ros-kinds-'));
  const robotConfig = simRobotConfig(dir);
  const bus = new InProcessBus();
  // The parameters a params file would give every node ('/**'), here as node options.
  const nodeOptions = () => ({ parameterOverrides: { robot_config: robotConfig } });
  const started = [];
  try {
    for (const kind of ['sim', 'data_logger', 'controller'] as const)
      started.push(await startRosNodeKind({ kind, transport: bus, nodeOptions }));
    const controller = started[2];
    assert.equal(controller.managed?.state, 'active', 'autostart configured and activated it');
    await sleep(1500);
  } finally {
    for (const s of started.reverse()) await s.stop();
    await bus.shutdown();
  }
  const { records } = await readTransitionLog(join(dir, 'logs'));
  assert.ok(records.length >= 15, `logged ${records.length} transitions in 1.5 s at 25 Hz`);
  assert.ok(
    records.some((r) => r.source === 'random'),
    'the controller drove the simulator',
  );
});

test('managed controller: unconfigured and inactive send nothing; deactivate sends the safe command once', async () => {
  setLogSink(() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'ros-lifecycle-'));
  const robotConfig = simRobotConfig(dir, '{ type: random, seed: 3, smoothing: 0 }');
  const bus = new InProcessBus();
  let configFile = join(dir, 'missing.yaml');
  const nodeOptions = (name: string): NodeOptions => ({
    parameterOverrides:
      name === 'controller' ? { robot_config: robotConfig, autostart: false } : { robot_config: robotConfig },
  });
  const sim = await startRosNodeKind({ kind: 'sim', transport: bus, nodeOptions });
  const controller = await startRosNodeKind({
    kind: 'controller',
    transport: bus,
    nodeOptions,
    get configFile() {
      return configFile;
    },
  });
  const commands: number[][] = [];
  bus
    .createNode('observer')
    .createSubscription('std_msgs/msg/Float64MultiArray', 'command', (m: Float64MultiArrayMsg) =>
      commands.push(m.data),
    );
  const managed = controller.managed;
  assert.ok(managed);
  try {
    assert.equal(managed.state, 'unconfigured');
    await sleep(200);
    assert.equal(commands.length, 0, 'unconfigured: no commands');

    const refused = managed.trigger('configure');
    assert.equal(refused.successful, false);
    assert.equal(refused.state, 'unconfigured');
    assert.match(refused.reason, /missing\.yaml/);

    configFile = robotConfig;
    assert.equal(managed.trigger('configure').state, 'inactive');
    await sleep(200);
    assert.equal(commands.length, 0, 'inactive: no commands');

    assert.equal(managed.trigger('activate').state, 'active');
    await waitFor(() => commands.some((c) => c[0] !== 0), 'a random (non-zero) command');
    assert.equal(managed.trigger('deactivate').state, 'inactive');
    const atDeactivate = commands.length;
    assert.deepEqual(commands.at(-1), [0], 'the last command is the safe (zero) action');
    await sleep(200);
    assert.equal(commands.length, atDeactivate, 'nothing after deactivate');

    assert.equal(managed.trigger('activate').state, 'active');
    await waitFor(() => commands.length > atDeactivate + 3, 'commands again after re-activation');
    assert.equal(managed.trigger('deactivate').successful, true);
    assert.equal(managed.trigger('cleanup').state, 'unconfigured');
  } finally {
    await controller.stop();
    await sim.stop();
    await bus.shutdown();
  }
});

const serialSkip = serialTestSkipReason();
if (serialSkip) console.log(`# skipped: ${serialSkip}`);

test(
  'managed serial driver: activate opens the port, deactivate sends the safe command and releases it, re-activation reopens',
  { skip: serialSkip },
  async () => {
    setLogSink(() => undefined);
    const dir = mkdtempSync(join(tmpdir(), 'ros-serial-'));
    const pair = await SocatPtyPair.create();
    const board = await shippedCartpoleSerialBoard({ port: pair.devicePath, seed: 3, startState: 'mean' });
    const robotConfig = join(dir, 'robot.yaml');
    writeFileSync(
      robotConfig,
      [
        'robot: cartpole',
        'task: cartpole-swingup',
        'control: { rate_hz: 25, stale_timeout_s: 0.1, clock: wall }',
        'controller: { type: random }',
        `logger: { dir: ${JSON.stringify(join(dir, 'logs'))} }`,
        'drivers:',
        `  - { type: sim, mode: realtime }`,
        `  - { type: serial, device: ${JSON.stringify(SHIPPED_CARTPOLE_DEVICE)}, calibration: ${JSON.stringify(SHIPPED_CARTPOLE_CALIBRATION)}, port: ${JSON.stringify(pair.hostPath)} }`,
      ].join('\n'),
    );
    const bus = new InProcessBus();
    let states = 0;
    bus
      .createNode('observer')
      .createSubscription('sensor_msgs/msg/JointState', 'joint_states', () => states++);
    board.start();
    // driver_index -1: the first serial driver of the config (index 1 here).
    const driver = await startRosNodeKind({
      kind: 'serial_driver',
      transport: bus,
      nodeOptions: () => ({ parameterOverrides: { robot_config: robotConfig, autostart: false } }),
    });
    const managed = driver.managed;
    assert.ok(managed);
    try {
      assert.equal(managed.trigger('configure').state, 'inactive');
      await sleep(300);
      assert.equal(states, 0, 'inactive: the port is not open, nothing is published');
      assert.equal(managed.trigger('activate').state, 'active');
      await waitFor(() => states > 20, 'joint states from the board', 10_000);
      const commandsBefore = board.stats.commandFrames;
      assert.equal(managed.trigger('deactivate').state, 'inactive');
      await waitFor(() => board.stats.commandFrames > commandsBefore, 'the safe command at the board');
      await sleep(300);
      const quiet = states;
      await sleep(300);
      assert.equal(states, quiet, 'deactivated: the port is released, nothing is published');
      assert.equal(managed.trigger('activate').state, 'active');
      await waitFor(() => states > quiet + 20, 'joint states again after re-activation', 10_000);
    } finally {
      await driver.stop();
      await bus.shutdown();
      await board.close();
      await pair.close();
    }
  },
);
