/**
 * Link faults on the whole robot stack, composed by RobotStack from a robot config as
 * `mbrl run` does (controller, driver, data logger) against a virtual board behind a real
 * transport: an MQTT broker that restarts, a network partition between the driver and its
 * broker (a TCP proxy that black-holes traffic without closing anything), a serial cable that
 * is pulled and plugged back, and a board that floods sensor frames at ten times its declared
 * rate. Each scenario checks what the robot would feel: the safe action while state is
 * missing, the board's own watchdog, the driver's stats and diagnostics, the recovery, and
 * that no command from the outage reaches the board after it.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeviceConfig } from '../../src/config/device-loader.js';
import type { MqttDevice, SerialDevice } from '../../src/config/device-schema.js';
import { packageRoot } from '../../src/config/package-paths.js';
import { loadRobotConfig } from '../../src/config/robot-loader.js';
import { loadTask } from '../../src/config/task-loader.js';
import { Calibration } from '../../src/hardware/calibration/calibration.js';
import { DeviceMapping } from '../../src/hardware/device-mapping.js';
import { FrameFlood } from '../../src/hardware/testing/frame-flood.js';
import { startTestBroker } from '../../src/hardware/testing/mqtt-test-broker.js';
import { SocatPtyPair, serialTestSkipReason } from '../../src/hardware/testing/socat-pty-pair.js';
import { TcpFaultProxy } from '../../src/hardware/testing/tcp-fault-proxy.js';
import { waitFor } from '../../src/hardware/testing/wait-for.js';
import type { DriverStats } from '../../src/nodes/drivers/driver-diagnostics.js';
import { RobotStack } from '../../src/robot/robot-stack.js';
import { setLogSink } from '../../src/runtime/logger.js';
import { DiagnosticLevel, type DiagnosticStatusMsg } from '../../src/runtime/messages.js';
import { VirtualMqttDevice } from '../../src/virtual-devices/virtual-mqtt-device.js';
import { VirtualSerialDevice } from '../../src/virtual-devices/virtual-serial-device.js';

const serialSkip = serialTestSkipReason();
if (serialSkip) console.log(`# skipped: ${serialSkip}`);

setLogSink(() => undefined);
const root = packageRoot();
const loadedTask = loadTask('cartpole-swingup');
const calibrationFile = join(root, 'calibration/cartpole.yaml');
const calibration = Calibration.load(calibrationFile);
const mqttDeviceFile = join(root, 'hardware/devices/cartpole-mqtt.yaml');
const serialDeviceFile = join(root, 'hardware/devices/cartpole-serial.yaml');
const RATE_HZ = 25;

function mapping(device: MqttDevice | SerialDevice, deviceFile: string): DeviceMapping {
  return DeviceMapping.create({ device, calibration, deviceFile, task: loadedTask.task });
}

/** What a test reads off the running stack. */
interface StackRig {
  stack: RobotStack;
  driver: () => Readonly<DriverStats>;
  /** The driver's newest diagnostic status. */
  driverStatus: () => DiagnosticStatusMsg | undefined;
  /** The controller's last tick acted on the policy (random exploration). */
  acting: () => boolean;
  /** The controller's last tick was the safe action because the state went stale. */
  stale: () => boolean;
  /** Commands the driver wrote to the link (fresh and safe). */
  commandsWritten: () => number;
}

async function startStack(t: TestContext, dir: string, driver: string): Promise<StackRig> {
  const file = join(dir, 'robot.yaml');
  writeFileSync(
    file,
    [
      'robot: cartpole',
      'task: cartpole-swingup',
      `control: { rate_hz: ${RATE_HZ}, stale_timeout_s: 0.1, clock: wall }`,
      'controller: { type: random, seed: 5, smoothing: 0.8 }',
      `logger: { dir: ${JSON.stringify(join(dir, 'logs'))}, flush_interval_s: 0.2 }`,
      'drivers:',
      `  - ${driver}`,
    ].join('\n'),
  );
  const stack = await RobotStack.create({
    config: loadRobotConfig(file),
    task: loadedTask,
    purpose: 'run',
    seed: 7,
  });
  t.after(() => stack.stop());
  let status: DiagnosticStatusMsg | undefined;
  stack.bus
    .createNode('fault_observer')
    .createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', (m) => {
      for (const s of m.status) if (s.name.startsWith('driver_0_')) status = s;
    });
  const driverStats = () => {
    const stats = stack.drivers[0].stats();
    assert.ok(stats, 'a hardware driver');
    return stats;
  };
  return {
    stack,
    driver: driverStats,
    driverStatus: () => status,
    acting: () => stack.controller.lastTick.source === 'random',
    stale: () => /^state is [\d.]+ s old$/.test(stack.controller.lastTick.safeReason ?? ''),
    commandsWritten: () => driverStats().commandsSent + driverStats().safeCommandsSent,
  };
}

function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Checks one outage from the outside while it lasts: the controller falls back to the safe
 * action because the state went stale, the driver says it is disconnected (stats and an ERROR
 * diagnostic), and the board's own watchdog zeroes the actuators.
 */
async function duringOutage(r: StackRig, boardWatchdogTrips: () => number, trips0: number): Promise<void> {
  await waitFor(() => r.stale(), 'the controller to go safe on stale state', 5000);
  await waitFor(() => !r.driver().connected, 'the driver to report disconnected', 5000);
  await waitFor(
    () =>
      r.driverStatus()?.level === DiagnosticLevel.ERROR &&
      /^disconnected/.test(r.driverStatus()?.message ?? ''),
    'an ERROR "disconnected" diagnostic from the driver',
    5000,
  );
  await waitFor(() => boardWatchdogTrips() > trips0, "the board's firmware watchdog to trip", 5000);
}

/** After an outage: reconnected, state flowing, the controller back on its policy. */
async function recovered(r: StackRig, reconnects0: number): Promise<void> {
  await waitFor(
    () => r.driver().connected && r.driver().reconnects > reconnects0,
    'the driver to reconnect',
    10_000,
  );
  const frames = r.driver().framesOk;
  await waitFor(() => r.driver().framesOk > frames + 20, 'sensor frames to flow again', 10_000);
  await waitFor(() => r.acting(), 'the controller to act on its policy again', 10_000);
  const ticks = r.stack.controller.stats.ticks;
  const safe = r.stack.controller.stats.safeTicks;
  await waitFor(() => r.stack.controller.stats.ticks >= ticks + 10, 'ten more ticks', 10_000);
  assert.ok(
    r.stack.controller.stats.safeTicks - safe <= 2,
    `at most a tick or two safe after recovery, got ${r.stack.controller.stats.safeTicks - safe}`,
  );
}

/**
 * No command from before the outage's end reaches the board after it: counted from the
 * moment the outage ended (when the driver was disconnected and could write nothing), the
 * board may receive at most what the driver wrote since. The board's count is read first.
 */
function assertNoLateCommands(
  boardCommands: () => number,
  r: StackRig,
  atOutageEnd: { board: number; written: number },
): void {
  const received = boardCommands() - atOutageEnd.board;
  const written = r.commandsWritten() - atOutageEnd.written;
  assert.ok(received > 0, 'commands reach the board after the outage');
  assert.ok(
    received <= written,
    `the board received ${received} commands after the outage but the driver wrote only ${written} since: stale commands were delivered late`,
  );
}

test('MQTT broker restart: safe action and the board watchdog during the outage, reconnect and no late commands after', async (t) => {
  const dir = tempDir(t, 'fault-broker-');
  const broker = await startTestBroker({ log: (m) => t.diagnostic(m) });
  t.after(() => broker.stop());
  const device = loadDeviceConfig(mqttDeviceFile) as MqttDevice;
  const board = await VirtualMqttDevice.create({
    device,
    mapping: mapping(device, mqttDeviceFile),
    task: loadedTask,
    brokerUrl: broker.url,
    seed: 3,
    deviceFile: mqttDeviceFile,
  });
  t.after(() => board.close());
  const r = await startStack(
    t,
    dir,
    `{ type: mqtt, device: ${JSON.stringify(mqttDeviceFile)}, calibration: ${JSON.stringify(calibrationFile)}, broker_url: ${JSON.stringify(broker.url)} }`,
  );
  board.start();
  r.stack.start();
  await waitFor(() => r.acting() && r.stack.logger.stats.transitions >= 25, 'the loop to close', 20_000);

  const trips0 = board.board.stats.watchdogTrips;
  const reconnects0 = r.driver().reconnects;
  let atOutageEnd = { board: 0, written: 0 };
  await broker.restart(async () => {
    await duringOutage(r, () => board.board.stats.watchdogTrips, trips0);
    // The broker is still down: neither side can move a command now.
    atOutageEnd = { board: board.stats.commandMessages, written: r.commandsWritten() };
  });
  await recovered(r, reconnects0);
  await waitFor(() => board.connected, 'the board to reconnect');
  assertNoLateCommands(() => board.stats.commandMessages, r, atOutageEnd);
  assert.equal(r.driver().badFrames, 0);
});

// KNOWN ISSUE: this test passes, but in about one run of three under `node --test` the test
// process then never exits: gdb shows Node spinning in Environment::CleanupHandles at exit (a
// TCP handle that never finishes closing, suspected: a socket reset with resetAndDestroy while
// writes are pending, in the fault proxy or the driver's partition reset). Until that is fixed
// it runs only on request, so it cannot hang CI.
const partitionSkip =
  process.env.MBRL_PARTITION_TEST === '1'
    ? undefined
    : 'MQTT partition test runs only with MBRL_PARTITION_TEST=1: its process can hang at exit after passing (see the comment above it)';
if (partitionSkip) console.log(`# skipped: ${partitionSkip}`);

test(
  'MQTT network partition (traffic black-holed, nothing closed): detected in well under the keepalive, no late commands after it heals',
  { skip: partitionSkip },
  async (t) => {
    const dir = tempDir(t, 'fault-partition-');
    const broker = await startTestBroker({ log: (m) => t.diagnostic(m) });
    t.after(() => broker.stop());
    const proxy = await TcpFaultProxy.start({ targetPort: broker.port });
    t.after(() => proxy.close());
    // The shipped device file: keepalive_s 5, so the broker keeps the partitioned connection
    // (1.5 x keepalive) and TCP would deliver what was queued in it once the network heals.
    const device = loadDeviceConfig(mqttDeviceFile) as MqttDevice;
    assert.equal(device.mqtt.keepalive_s, 5);
    const board = await VirtualMqttDevice.create({
      device,
      mapping: mapping(device, mqttDeviceFile),
      task: loadedTask,
      brokerUrl: broker.url,
      seed: 3,
      deviceFile: mqttDeviceFile,
    });
    t.after(() => board.close());
    // Only the driver's link goes through the proxy: the board stays on the broker.
    const r = await startStack(
      t,
      dir,
      `{ type: mqtt, device: ${JSON.stringify(mqttDeviceFile)}, calibration: ${JSON.stringify(calibrationFile)}, broker_url: ${JSON.stringify(proxy.mqttUrl)} }`,
    );
    board.start();
    r.stack.start();
    await waitFor(() => r.acting() && r.stack.logger.stats.transitions >= 25, 'the loop to close', 20_000);

    const trips0 = board.board.stats.watchdogTrips;
    const reconnects0 = r.driver().reconnects;
    const partitionStart = performance.now();
    proxy.partition();
    await duringOutage(r, () => board.board.stats.watchdogTrips, trips0);
    // Keep the partition up for 3 s in all (less than the broker's 7.5 s keepalive limit).
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, 3000 - (performance.now() - partitionStart))),
    );
    assert.equal(r.driver().connected, false, 'still disconnected at the end of the partition');
    const atOutageEnd = { board: board.stats.commandMessages, written: r.commandsWritten() };
    proxy.heal();
    await recovered(r, reconnects0);
    assertNoLateCommands(() => board.stats.commandMessages, r, atOutageEnd);
    assert.match(r.driver().lastError, /no packet from the broker for \d+ ms/);
    t.diagnostic(
      `proxy: ${proxy.stats.bytesDeliveredLate} bytes delivered late, ${proxy.stats.bytesDiscarded} discarded with reset connections`,
    );
  },
);

test(
  'serial unplug and replug: safe action in the gap, reopen attempts back off, recovery and no late commands after',
  { skip: serialSkip },
  async (t) => {
    const dir = tempDir(t, 'fault-unplug-');
    const pair = await SocatPtyPair.create();
    t.after(() => pair.close());
    const device = loadDeviceConfig(serialDeviceFile) as SerialDevice;
    const board = await VirtualSerialDevice.create({
      device,
      mapping: mapping(device, serialDeviceFile),
      task: loadedTask,
      port: pair.devicePath,
      seed: 3,
    });
    t.after(() => board.close());
    const r = await startStack(
      t,
      dir,
      `{ type: serial, device: ${JSON.stringify(serialDeviceFile)}, calibration: ${JSON.stringify(calibrationFile)}, port: ${JSON.stringify(pair.hostPath)} }`,
    );
    board.start();
    r.stack.start();
    await waitFor(() => r.acting() && r.stack.logger.stats.transitions >= 25, 'the loop to close', 20_000);

    const trips0 = board.board.stats.watchdogTrips;
    const reconnects0 = r.driver().reconnects;
    const unpluggedAt = performance.now();
    await pair.unplug();
    const attempts0 = r.driver().connectAttempts;
    await duringOutage(r, () => board.board.stats.watchdogTrips, trips0);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, 3000 - (performance.now() - unpluggedAt))),
    );
    // Backoff from 0.1 s doubling to 2 s (+-20%) tries about five times in 3 s; a fixed 0.1 s
    // retry would try thirty.
    const attempts = r.driver().connectAttempts - attempts0;
    assert.ok(attempts >= 2 && attempts <= 8, `${attempts} reopen attempts in the 3 s gap`);
    assert.equal(r.driver().connected, false);
    const atOutageEnd = { board: board.stats.commandFrames, written: r.commandsWritten() };
    await pair.plug();
    await recovered(r, reconnects0);
    assertNoLateCommands(() => board.stats.commandFrames, r, atOutageEnd);
    assert.ok(r.driver().badFrames <= 1, `bad frames ${r.driver().badFrames} (a partial frame at most)`);
  },
);

test(
  'a board flooding sensor frames at 10x its declared rate: the loop keeps its rate, the anomaly is reported, no stale state is acted on',
  { skip: serialSkip },
  async (t) => {
    const dir = tempDir(t, 'fault-flood-');
    const pair = await SocatPtyPair.create();
    t.after(() => pair.close());
    const device = loadDeviceConfig(serialDeviceFile) as SerialDevice;
    const declaredHz = device.rates.sensor_hz;
    // The sequence number rides in the pole encoder (one turn = 16384 ticks): the controller's
    // pole angle tells exactly which frame it acted on.
    const POLE_TICKS = 16384;
    const r = await startStack(
      t,
      dir,
      `{ type: serial, device: ${JSON.stringify(serialDeviceFile)}, calibration: ${JSON.stringify(calibrationFile)}, port: ${JSON.stringify(pair.hostPath)} }`,
    );
    const seqOf = (poleAngle: number) =>
      ((Math.round(-poleAngle / ((2 * Math.PI) / POLE_TICKS)) % POLE_TICKS) + POLE_TICKS) % POLE_TICKS;
    r.stack.start();
    // Opening the port flushes what was written before, so the board starts once it is open.
    await waitFor(() => r.driver().connected, 'the driver to open the port');
    const flood = FrameFlood.start({
      path: pair.devicePath,
      device,
      rateHz: 10 * declaredHz,
      seqField: 'pole_ticks',
      seqModulo: POLE_TICKS,
    });
    t.after(() => flood.stop());
    // How many frames behind the newest one written each published state and each acted-on
    // state is.
    const stateLag: number[] = [];
    const actedLag: number[] = [];
    const observer = r.stack.bus.createNode('flood_observer');
    observer.createSubscription(
      'sensor_msgs/msg/JointState',
      'joint_states',
      (m) => stateLag.push(flood.framesBehind(seqOf(m.position[1]), POLE_TICKS)),
      { qos: 'sensorData' },
    );
    observer.createSubscription('mbrl_msgs/msg/ControlTick', 'control_ticks', (m) => {
      if (m.source !== 'safe') actedLag.push(flood.framesBehind(seqOf(m.state[1]), POLE_TICKS));
    });
    await waitFor(() => r.acting(), 'the controller to act on the flooded state', 20_000);

    // Control rate holds: ticks over 3 s within 20% of the target.
    const ticks0 = r.stack.controller.stats.ticks;
    const windowStart = performance.now();
    await waitFor(
      () =>
        r.driverStatus()?.level === DiagnosticLevel.WARN &&
        /^sensor rate [\d.]+ Hz is [\d.]+x above the declared 100 Hz/.test(r.driverStatus()?.message ?? ''),
      'the driver to report the sensor rate anomaly',
      5000,
    );
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, 3000 - (performance.now() - windowStart))),
    );
    const seconds = (performance.now() - windowStart) / 1000;
    const ticks = r.stack.controller.stats.ticks - ticks0;
    const expected = seconds * RATE_HZ;
    assert.ok(
      Math.abs(ticks - expected) <= 0.2 * expected,
      `${ticks} ticks in ${seconds.toFixed(2)} s (expected ${expected.toFixed(0)})`,
    );
    const rate = Number(r.driverStatus()?.values.find((v) => v.key === 'sensor_rate_hz')?.value);
    assert.ok(rate > 5 * declaredHz, `reported sensor rate ${rate} Hz`);

    // A 300 ms stall of this thread (a long GC pause, a slow callback): the board keeps
    // writing, so a backlog waits in the pty when the thread wakes.
    const stalledAt = stateLag.length;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    const ticksAfterStall = r.stack.controller.stats.ticks;
    await waitFor(() => r.stack.controller.stats.ticks >= ticksAfterStall + 10, 'ten ticks after the stall');
    await flood.stop();
    const written = flood.framesWritten;
    await waitFor(() => r.driver().framesOk >= written - 1, 'the driver to decode every frame written', 5000);

    // Bounded: the host drained the board as fast as it wrote (the pty never filled), and
    // decoded every frame.
    assert.equal(flood.framesRefused, 0, 'frames refused by a full pty');
    assert.ok(r.driver().framesOk <= written && r.driver().badFrames === 0);
    // Fresh: every tick that acted did so on state within the staleness limit (0.1 s = 100
    // frames at 1 kHz) of the newest frame the board had written.
    const limit = 0.1 * 10 * declaredHz;
    assert.ok(actedLag.length > 50, `${actedLag.length} ticks acted`);
    const worstActed = Math.max(...actedLag);
    assert.ok(worstActed <= limit, `a tick acted on state ${worstActed} frames old (limit ${limit})`);
    // The backlog itself: the older frames of each backlogged read are not published, so at
    // most the newest frame of each of the few reads that drain a backlog goes out behind the
    // limit (publishing every frame put ~200 stale states on the bus, each stamped as fresh).
    // A loaded machine may stall this thread a few more times: 10 leaves room for that.
    const staleStates = stateLag.filter((lag) => lag > limit).length;
    assert.ok(
      staleStates <= 10,
      `${staleStates} joint states published more than ${limit} frames behind the board`,
    );
    const beforeStall = stateLag.slice(0, stalledAt).sort((a, b) => a - b);
    t.diagnostic(
      `joint states ${stateLag.length} for ${written} frames; lag before the stall p50 ${beforeStall[beforeStall.length >> 1]} p99 ${beforeStall[Math.floor(beforeStall.length * 0.99)]} max ${beforeStall.at(-1)} frames; after it ${staleStates} beyond the limit, worst ${Math.max(...stateLag.slice(stalledAt))}; worst acted-on ${worstActed}`,
    );
  },
);
