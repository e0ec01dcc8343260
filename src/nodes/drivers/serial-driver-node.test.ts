/**
 * The serial driver over a real pseudo-terminal pair (socat) with the real serialport
 * package; the test plays the board on the other end, byte by byte where it matters.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { loadDeviceConfig } from '../../config/device-loader.js';
import type { SerialDevice } from '../../config/device-schema.js';
import { packageRoot } from '../../config/package-paths.js';
import { loadTask } from '../../config/task-loader.js';
import { Calibration } from '../../hardware/calibration/calibration.js';
import { DeviceMapping } from '../../hardware/device-mapping.js';
import { WireProtocol } from '../../hardware/protocol/wire-protocol.js';
import { SocatPtyPair, serialTestSkipReason } from '../../hardware/testing/socat-pty-pair.js';
import { waitFor } from '../../hardware/testing/wait-for.js';
import { InProcessBus } from '../../runtime/in-process-bus.js';
import { MemoryLogger } from '../../runtime/memory-logger.js';
import {
  float64Array,
  type DiagnosticArrayMsg,
  type ImuMsg,
  type JointStateMsg,
} from '../../runtime/messages.js';
import { SerialDriverNode } from './serial-driver-node.js';

const skip = serialTestSkipReason();
if (skip) console.log(`# skipped: ${skip}`);

const root = packageRoot();
const task = loadTask('cartpole-swingup').task;
const calibration = Calibration.load(join(root, 'calibration/cartpole.yaml'));

function loadSerial(file: string): SerialDevice {
  const device = loadDeviceConfig(file);
  assert.equal(device.transport, 'serial');
  return device as SerialDevice;
}

/** The driver on the host end; the test's own port on the device end plays the board. */
async function rig(deviceFile: string, calibrationFile?: string) {
  const device = loadSerial(deviceFile);
  const mapping = DeviceMapping.create({
    device,
    calibration: calibrationFile ? Calibration.load(calibrationFile) : calibration,
    deviceFile,
    task,
  });
  const protocol = WireProtocol.forDevice(device);
  const pair = await SocatPtyPair.create();
  const bus = new InProcessBus({ loggerFactory: (n) => new MemoryLogger(n) });
  const driver = new SerialDriverNode(bus.createNode('serial_driver'), {
    device,
    mapping,
    port: pair.hostPath,
    diagnosticsPeriodSeconds: 0.1,
  });
  const observer = bus.createNode('observer');
  const states: JointStateMsg[] = [];
  observer.createSubscription('sensor_msgs/msg/JointState', 'joint_states', (m) => states.push(m));
  const imus: ImuMsg[] = [];
  observer.createSubscription('sensor_msgs/msg/Imu', 'imu/base', (m) => imus.push(m));
  const diagnostics: DiagnosticArrayMsg[] = [];
  observer.createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', (m) =>
    diagnostics.push(m),
  );
  const command = observer.createPublisher('std_msgs/msg/Float64MultiArray', 'command');
  const received: number[][] = [];
  let board: SerialPort | null = null;
  const openBoard = async () => {
    const port = new SerialPort({ path: pair.devicePath, baudRate: device.serial.baud, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    const decoder = protocol.commandDecoder({
      onFrame: (values) => received.push(Array.from(values)),
      onError: () => undefined,
    });
    port.on('data', (chunk: Buffer) => decoder.push(chunk));
    port.on('error', () => undefined);
    board = port;
  };
  await openBoard();
  driver.start();
  await waitFor(() => driver.connected, 'the driver to open the port');
  const write = async (bytes: Uint8Array | string) => {
    await new Promise<void>((resolve, reject) =>
      board!.write(bytes, (err) => (err ? reject(err) : board!.drain(() => resolve()))),
    );
  };
  const close = async () => {
    await driver.close();
    if (board?.isOpen) await new Promise<void>((resolve) => board!.close(() => resolve()));
    await pair.close();
    await bus.shutdown();
  };
  return {
    device,
    mapping,
    protocol,
    pair,
    bus,
    driver,
    states,
    imus,
    diagnostics,
    command,
    received,
    write,
    openBoard,
    close,
  };
}

describe('SerialDriverNode over a pty pair', { skip }, () => {
  test('COBS board: raw frames become calibrated joint states; commands become raw frames', async () => {
    const r = await rig(join(root, 'hardware/devices/cartpole-serial.yaml'));
    try {
      // 1 m of cart travel is 10 000 ticks; the pole at pi (hanging) reads -8192 ticks (sign -1).
      await r.write(r.protocol.encodeSensor([5000, -8192, -2500, 1024, 100]));
      await waitFor(() => r.states.length >= 1, 'a joint state');
      const js = r.states[0];
      assert.deepEqual(js.name, ['slider', 'hinge']);
      assert.ok(Math.abs(js.position[0] - 0.5) < 1e-9);
      assert.ok(Math.abs(js.position[1] - Math.PI) < 1e-9);
      assert.ok(Math.abs(js.velocity[0] + 0.25) < 1e-9);
      assert.ok(Math.abs(js.velocity[1] + (1024 * 2 * Math.PI) / 16384) < 1e-9);
      assert.ok(Math.abs(js.effort[0] - 0.25) < 1e-9, `effort ${js.effort[0]} (table: 100 mA -> 0.25 N)`);

      r.command.publish(float64Array([0.5]));
      await waitFor(() => r.received.some((c) => c[0] === 500), 'pwm 500 on the wire');
    } finally {
      await r.close();
    }
  });

  test('bad frames are counted by kind and good frames keep flowing', async () => {
    const r = await rig(join(root, 'test/fixtures/devices/line-board.yaml'));
    try {
      const good = (x: number) => r.protocol.encodeSensor([x, -8192, 0, 0, 0]);
      await r.write(good(1000));
      await r.write('S,1,2,3,4,5*00\n'); // wrong checksum
      await r.write(withXor('S,1,2,3,4')); // one field short
      await r.write(withXor('S,nan,2,3,4,5')); // NaN
      await r.write(withXor('S,1,inf,3,4,5')); // Inf
      await r.write(withXor('S,1,abc,3,4,5')); // not a number
      await r.write(`S,${'9'.repeat(200)}\n`); // oversize line
      await r.write(Uint8Array.from([0xff, 0x00, 0x13, 0x80, 0x0a])); // binary garbage line
      await r.write('S,1,2,3'); // truncated: the next line completes it into garbage
      await r.write(good(2000));
      await r.write(good(3000));
      await waitFor(
        () => r.states.length >= 2 && r.states.at(-1)!.position[0] > 0.29,
        'good frames after the bad',
      );
      const s = r.driver.stats;
      assert.ok(s.badFrames >= 7, `bad frames ${s.badFrames}: ${JSON.stringify(s.badFramesByKind)}`);
      for (const kind of ['checksum', 'field_count', 'non_finite', 'bad_number', 'oversize'])
        assert.ok(
          (s.badFramesByKind[kind] ?? 0) >= 1,
          `kind ${kind} counted: ${JSON.stringify(s.badFramesByKind)}`,
        );
      assert.equal(s.connected, true);
      // The truncated line swallows the frame after it (one corrupt line); the others arrive.
      assert.deepEqual(
        r.states.map((m) => Math.round(m.position[0] * 1e4)),
        [1000, 3000],
      );
      assert.ok(r.states.every((m) => m.position.every(Number.isFinite)));
      await waitFor(
        () =>
          r.diagnostics.some((d) =>
            d.status[0].values.some((v) => v.key === 'bad_frames' && Number(v.value) >= 7),
          ),
        'diagnostics reporting the bad frames',
      );
    } finally {
      await r.close();
    }
  });

  test('an IMU declared in the device file is published as calibrated sensor_msgs/Imu', async () => {
    const r = await rig(
      join(root, 'test/fixtures/devices/imu-board.yaml'),
      join(root, 'test/fixtures/calibration/imu-board.yaml'),
    );
    try {
      // 90 deg/s about z, 1 g down.
      await r.write(r.protocol.encodeSensor([0, -8192, 0, 0, 0, 0, 9000, 0, 0, -1000]));
      await waitFor(() => r.imus.length >= 1 && r.states.length >= 1, 'an Imu and a JointState');
      const imu = r.imus[0];
      assert.equal(imu.header.frame_id, 'imu_link');
      assert.ok(Math.abs(imu.angular_velocity.z - Math.PI / 2) < 1e-9);
      assert.ok(Math.abs(imu.linear_acceleration.z + 9.80665) < 1e-9);
      // No orientation fields: flagged as absent (REP 145), the others as present.
      assert.equal(imu.orientation_covariance[0], -1);
      assert.equal(imu.angular_velocity_covariance[0], 0);
      assert.ok(Math.abs(r.states[0].position[1] - Math.PI) < 1e-9);
    } finally {
      await r.close();
    }
  });

  test('watchdog: the safe command goes out when commands stop, and on close', async () => {
    const r = await rig(join(root, 'hardware/devices/cartpole-serial.yaml'));
    try {
      r.command.publish(float64Array([0.8]));
      await waitFor(() => r.received.some((c) => c[0] === 800), 'the command');
      const afterCommand = r.received.length;
      // No further commands: within the 0.2 s timeout (+ a check period) pwm 0 must follow.
      await waitFor(() => r.received.slice(afterCommand).some((c) => c[0] === 0), 'the safe command', 2000);
      assert.ok(r.driver.stats.watchdogTrips >= 1);
      assert.equal(r.driver.watchdogActive, true);

      // A fresh command, then close: the last frame the board gets is the safe command.
      r.command.publish(float64Array([-0.6]));
      await waitFor(() => r.received.at(-1)?.[0] === -600, 'the second command');
      const safeBefore = r.driver.stats.safeCommandsSent;
      await r.driver.close();
      assert.equal(r.driver.stats.safeCommandsSent, safeBefore + 1);
      await waitFor(() => r.received.at(-1)?.[0] === 0, 'the safe command sent on close');
    } finally {
      await r.close();
    }
  });

  test('a port that vanishes and returns: the driver reconnects and frames resume', async () => {
    const r = await rig(join(root, 'hardware/devices/cartpole-serial.yaml'));
    try {
      await r.write(r.protocol.encodeSensor([100, 0, 0, 0, 0]));
      await waitFor(() => r.states.length >= 1, 'a first joint state');
      await r.pair.unplug();
      await waitFor(() => !r.driver.connected, 'the driver to notice the port is gone');
      await new Promise((resolve) => setTimeout(resolve, 300)); // a few failed reopen attempts
      await r.pair.plug();
      await r.openBoard();
      await waitFor(() => r.driver.connected, 'the driver to reopen the port', 10_000);
      const before = r.states.length;
      await r.write(r.protocol.encodeSensor([200, 0, 0, 0, 0]));
      await waitFor(() => r.states.length > before, 'frames after the replug');
      assert.ok(r.driver.stats.reconnects >= 1);
      assert.ok(Math.abs(r.states.at(-1)!.position[0] - 0.02) < 1e-9);
    } finally {
      await r.close();
    }
  });
});

function withXor(body: string): string {
  let x = 0;
  for (const ch of Buffer.from(body, 'ascii')) x ^= ch;
  return `${body}*${x.toString(16).toUpperCase().padStart(2, '0')}\n`;
}
