import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { CalibrationConfig } from '../config/calibration-schema.js';
import { loadDeviceConfig } from '../config/device-loader.js';
import type { DeviceConfig, SerialDevice } from '../config/device-schema.js';
import { packageRoot } from '../config/package-paths.js';
import { loadTask } from '../config/task-loader.js';
import type { Task } from '../config/task-schema.js';
import { catchConfigError } from '../config/testing.js';
import type { ImuMsg } from '../runtime/messages.js';
import { Calibration } from './calibration/calibration.js';
import { DeviceMapping } from './device-mapping.js';

const root = packageRoot();
const serialFile = path.join(root, 'hardware', 'devices', 'cartpole-serial.yaml');
const mqttFile = path.join(root, 'hardware', 'devices', 'cartpole-mqtt.yaml');
const calFile = path.join(root, 'calibration', 'cartpole.yaml');
const stamp = { sec: 12, nanosec: 500 };
const TICK = (2 * Math.PI) / 16384;

function serialDevice(): SerialDevice {
  const device = loadDeviceConfig(serialFile);
  assert.equal(device.transport, 'serial');
  return device;
}

function task(): Task {
  return loadTask('cartpole-swingup').task;
}

function mapping(
  options: { device?: DeviceConfig; calibration?: Calibration; task?: Task | null; deviceFile?: string } = {},
) {
  return DeviceMapping.create({
    device: options.device ?? serialDevice(),
    calibration: options.calibration ?? Calibration.load(calFile),
    deviceFile: options.deviceFile ?? serialFile,
    task: options.task === null ? undefined : (options.task ?? task()),
  });
}

function calibrationWith(edit: (c: CalibrationConfig) => void): Calibration {
  const config = structuredClone(Calibration.load(calFile).config);
  edit(config);
  return Calibration.fromConfig(config, calFile);
}

function close(actual: number, expected: number, tol = 1e-9, what = ''): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected}, got ${actual}`);
}

test('field, joint and action orders come from the device and the task', () => {
  const m = mapping();
  assert.deepEqual(m.sensorFields, ['cart_ticks', 'pole_ticks', 'cart_speed', 'pole_speed', 'motor_current']);
  assert.deepEqual(m.commandFields, ['pwm']);
  assert.deepEqual(m.jointNames, ['slider', 'hinge']);
  assert.deepEqual(m.actionNames, ['cart_force']);
  assert.deepEqual(m.jointFields('hinge'), {
    position: 'pole_ticks',
    velocity: 'pole_speed',
    effort: undefined,
  });
  assert.equal(m.jointFields('elbow'), undefined);

  const mqtt = mapping({ device: loadDeviceConfig(mqttFile), deviceFile: mqttFile });
  assert.deepEqual(mqtt.sensorFields, [
    'cart_ticks',
    'cart_speed',
    'motor_current',
    'pole_ticks',
    'pole_speed',
  ]);
  assert.deepEqual(mapping({ task: null }).actionNames, ['cart_force'], 'no task: device.commands order');
});

test('raw sensor values become SI joint states with the calibration signs', () => {
  const m = mapping();
  // cart 2500 ticks, pole 8192 ticks (half a turn), cart -10000 ticks/s, pole 4096 ticks/s, 100 mA.
  const { jointState, imus } = m.sensorsToMessages([2500, 8192, -10_000, 4096, 100], stamp, 'base');
  assert.deepEqual(jointState.header, { stamp, frame_id: 'base' });
  assert.deepEqual(jointState.name, ['slider', 'hinge']);
  close(jointState.position[0], 0.25);
  close(jointState.position[1], -Math.PI, 1e-12, 'hinge sign -1');
  close(jointState.velocity[0], -1);
  close(jointState.velocity[1], -Math.PI / 2, 1e-12);
  // Effort: the table maps 100 mA to 0.25 N; the hinge maps no effort, so it reads 0.
  assert.deepEqual(jointState.effort, [0.25, 0]);
  assert.deepEqual(imus, []);
  assert.equal(m.sensorsToMessages([0, 0, 0, 0, 0], stamp).jointState.header.frame_id, '');

  // The MQTT board carries the same fields in another order and decodes to the same state.
  const mqtt = mapping({ device: loadDeviceConfig(mqttFile), deviceFile: mqttFile });
  const viaMqtt = mqtt.sensorsToMessages([2500, -10_000, 100, 8192, 4096], stamp, 'base').jointState;
  assert.deepEqual(viaMqtt, jointState);
});

test('zero offsets are subtracted from positions only; non-finite values pass through', () => {
  const cal = calibrationWith((c) => {
    c.joints.hinge = { zero_offset: 0.5, sign: -1 };
    c.joints.slider = { zero_offset: -0.1, sign: 1 };
  });
  const m = mapping({ calibration: cal });
  const { jointState } = m.sensorsToMessages([0, 4096, 0, 4096, NaN], stamp);
  close(jointState.position[0], 0.1);
  close(jointState.position[1], -(Math.PI / 2 - 0.5), 1e-12);
  close(jointState.velocity[1], -Math.PI / 2, 1e-12, 'no offset on velocity');
  assert.ok(Number.isNaN(jointState.effort[0]));
  assert.throws(() => m.sensorsToMessages([1, 2, 3], stamp), RangeError);
});

test('velocity and effort are [] when no joint maps them', () => {
  const device = serialDevice();
  device.joints = device.joints.map(({ joint, position }) => ({ joint, position }));
  const m = mapping({ device, task: null });
  const { jointState } = m.sensorsToMessages([10_000, 0, 5, 5, 5], stamp);
  assert.deepEqual(jointState.position, [1, -0]);
  assert.deepEqual(jointState.velocity, []);
  assert.deepEqual(jointState.effort, []);
});

test('SI joint state -> raw -> SI round trips, in any name order', () => {
  const cal = calibrationWith((c) => {
    c.joints.hinge = { zero_offset: 0.2, sign: -1 };
  });
  const m = mapping({ calibration: cal });
  const state = {
    name: ['hinge', 'slider', 'unrelated'],
    position: [2.9, -0.31, 7],
    velocity: [-4.5, 1.25, 7],
    effort: [0, 3.3, 7],
  };
  const raw = m.rawSensorsFromJointState(state);
  assert.equal(raw.length, m.sensorFields.length);
  close(raw[0], -3100, 1e-6, 'cart_ticks');
  close(raw[1], (-2.9 + 0.2) / TICK, 1e-6, 'pole_ticks through sign and offset');
  const back = m.sensorsToMessages(raw, stamp).jointState;
  close(back.position[0], -0.31);
  close(back.position[1], 2.9);
  close(back.velocity[0], 1.25);
  close(back.velocity[1], -4.5);
  close(back.effort[0], 3.3);
  assert.equal(back.effort[1], 0, 'the hinge maps no effort');

  // A reused output buffer; joints not given and missing velocities give 0.
  const out = new Float64Array(m.sensorFields.length).fill(99);
  assert.equal(
    m.rawSensorsFromJointState({ name: ['slider'], position: [0.5], velocity: [], effort: [] }, [], out),
    out,
  );
  assert.deepEqual([...out], [5000, 0, 0, 0, 0]);
  assert.throws(() => m.rawSensorsFromJointState(state, undefined, new Float64Array(2)), RangeError);
});

test('actions map to raw commands and back', () => {
  const m = mapping();
  assert.deepEqual([...m.actionToRawCommand([0.5])], [500]);
  assert.deepEqual([...m.actionFromRawCommand([-250])], [-0.25]);
  const out = new Float64Array(1);
  assert.equal(m.actionToRawCommand(Float64Array.of(-1), out), out);
  assert.deepEqual([...out], [-1000]);
  for (const a of [-1, -0.123, 0, 0.77, 1])
    close(m.actionFromRawCommand(m.actionToRawCommand([a]))[0], a, 1e-15);
  assert.throws(() => m.actionToRawCommand([1, 2]), RangeError);
  assert.throws(() => m.actionFromRawCommand([]), RangeError);
});

test('safeAction is watchdog.safe_command in action order', () => {
  assert.deepEqual([...mapping().safeAction()], [0]);
  const device = serialDevice();
  device.watchdog.safe_command = { cart_force: -0.2 };
  const m = mapping({ device });
  const safe = m.safeAction();
  assert.deepEqual([...safe], [-0.2]);
  safe[0] = 5;
  assert.deepEqual([...m.safeAction()], [-0.2], 'a copy each time');
  assert.deepEqual([...m.actionToRawCommand(m.safeAction())], [-200]);
});

test('a safe command outside the action range is refused at its line in the device file', () => {
  const device = serialDevice();
  device.watchdog.safe_command = { cart_force: 1e12 };
  const err = catchConfigError(() => mapping({ device }));
  assert.equal(
    err.message,
    `${serialFile}:33:31: watchdog.safe_command.cart_force: 1000000000000 is outside the range of action "cart_force" [-1, 1] (task "cartpole-swingup")`,
  );
});

test('command fields of device actions the task does not use hold their safe command', () => {
  const device = serialDevice();
  device.command_frame.fields.push({ name: 'brake', type: 'u8', endian: 'little', scale: 1 });
  device.command_frame.fields.push({ name: 'spare', type: 'u8', endian: 'little', scale: 1 });
  device.commands.push({ action: 'brake', field: 'brake' });
  device.watchdog.safe_command = { brake: 1 };
  const cal = calibrationWith((c) => {
    c.commands.brake = { type: 'linear', scale: 100, offset: 5 };
  });
  const m = mapping({ device, calibration: cal });
  assert.deepEqual(m.actionNames, ['cart_force']);
  assert.deepEqual([...m.actionToRawCommand([0.1])], [100, 105, 0]);
  assert.deepEqual([...m.actionFromRawCommand([100, 105, 0])], [0.1]);
  assert.deepEqual(mapping({ device, calibration: cal, task: null }).actionNames, ['cart_force', 'brake']);
});

test('IMU fields become sensor_msgs/Imu, absent parts flagged by covariance -1, and back', () => {
  const device = serialDevice();
  for (const name of ['gx', 'gy', 'gz'])
    device.sensor_frame.fields.push({ name, type: 'i16', endian: 'little', scale: 1 });
  device.imus.push({ frame_id: 'imu_link', topic: 'imu', angular_velocity: ['gx', 'gy', 'gz'] });
  const cal = calibrationWith((c) => {
    for (const name of ['gx', 'gy', 'gz']) c.sensors[name] = { type: 'linear', scale: 0.001, offset: 0 };
  });
  const m = mapping({ device, calibration: cal });
  const { imus } = m.sensorsToMessages([0, 0, 0, 0, 0, 1000, -2000, 500], stamp);
  assert.equal(imus.length, 1);
  const [imu] = imus;
  assert.equal(imu.header.frame_id, 'imu_link');
  assert.deepEqual(imu.angular_velocity, { x: 1, y: -2, z: 0.5 });
  assert.deepEqual(imu.angular_velocity_covariance, new Array(9).fill(0));
  assert.equal(imu.orientation_covariance[0], -1);
  assert.equal(imu.linear_acceleration_covariance[0], -1);

  const reading: ImuMsg = { ...imu, angular_velocity: { x: 0.25, y: 0, z: -1 } };
  const raw = m.rawSensorsFromJointState({ name: [], position: [], velocity: [], effort: [] }, [reading]);
  assert.deepEqual([...raw.slice(5)], [250, 0, -1000]);
});

test('a device field without a calibration entry names the calibration file and field', () => {
  const file = path.join(root, 'test', 'fixtures', 'calibration', 'missing-pole-speed.yaml');
  const err = catchConfigError(() => mapping({ calibration: Calibration.load(file) }));
  assert.equal(err.file, file);
  assert.equal(err.issues.length, 1);
  assert.deepEqual(err.issues[0].path, ['sensors', 'pole_speed']);
  // Located at the sensors mapping (line 6), since the entry itself is missing.
  assert.match(
    err.message,
    /missing-pole-speed\.yaml:6:1: sensors\.pole_speed: no calibration for sensor field "pole_speed" \(.*cartpole-serial\.yaml maps it to joint hinge velocity\)/,
  );

  const noPwm = calibrationWith((c) => {
    c.commands = {};
  });
  const err2 = catchConfigError(() => mapping({ calibration: noPwm }));
  assert.equal(err2.file, calFile);
  assert.deepEqual(err2.issues[0].path, ['commands', 'pwm']);
  assert.match(err2.message, /commands\.pwm: no calibration for command field "pwm"/);
});

test('a task action the device cannot command names the device file', () => {
  const t = task();
  t.action[0].name = 'pole_torque';
  const err = catchConfigError(() => mapping({ task: t }));
  assert.equal(err.file, serialFile);
  const line = lineOf(serialFile, /^commands:/);
  assert.match(
    err.message,
    new RegExp(
      `cartpole-serial\\.yaml:${line}:1: commands: task "cartpole-swingup" has action "pole_torque", which this device cannot command \\(commands map: cart_force\\)`,
    ),
  );
});

test('a task state joint (or velocity) the device does not publish names the device file', () => {
  const t = task();
  t.state[1].joint = 'elbow';
  const err = catchConfigError(() => mapping({ task: t }));
  assert.equal(err.file, serialFile);
  assert.match(
    err.message,
    /joints: task "cartpole-swingup" state "pole_angle" reads joint "elbow", which this device does not publish/,
  );

  const device = serialDevice();
  delete device.joints[1].velocity;
  const err2 = catchConfigError(() => mapping({ device }));
  assert.match(
    err2.message,
    /joints\[1\]: .*state "pole_angular_velocity" needs the velocity of joint "hinge"/,
  );
  assert.doesNotThrow(() => mapping({ device, task: null }), 'without a task nothing needs it');
});

test('a device config that was not cross-checked is checked here', () => {
  const device = serialDevice();
  device.joints[0].position = 'cart_tick';
  const err = catchConfigError(() => mapping({ device }));
  assert.equal(err.file, serialFile);
  assert.match(err.message, /joints\[0\]\.position: unknown sensor field "cart_tick"/);
});

function lineOf(file: string, pattern: RegExp): number {
  return (
    readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => pattern.test(l)) + 1
  );
}
