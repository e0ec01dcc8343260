import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { CalibrationSchema } from '../../config/calibration-schema.js';
import { packageRoot } from '../../config/package-paths.js';
import { catchConfigError } from '../../config/testing.js';
import { Calibration } from './calibration.js';

const shipped = path.join(packageRoot(), 'calibration', 'cartpole.yaml');
const fixture = (name: string) => path.join(packageRoot(), 'test', 'fixtures', 'calibration', name);

test('the shipped cart-pole calibration loads with its converters and joints', () => {
  const cal = Calibration.load(shipped);
  assert.equal(cal.file, shipped);
  assert.equal(cal.config.robot, 'cartpole');
  assert.equal(cal.sensor('cart_ticks')?.forward(10_000), 1);
  assert.ok(Math.abs((cal.sensor('pole_ticks')?.forward(16_384) ?? NaN) - 2 * Math.PI) < 1e-12);
  assert.equal(cal.sensor('motor_current')?.forward(100), 0.25);
  assert.equal(cal.command('pwm')?.forward(0.5), 500);
  assert.equal(cal.command('pwm')?.inverse(-1000), -1);
  assert.equal(cal.sensor('pwm'), undefined, 'sensor and command fields are separate');
  assert.equal(cal.sensor('nope'), undefined);
  assert.deepEqual(cal.joint('hinge'), { zero_offset: 0, sign: -1 });
  assert.deepEqual(cal.joint('slider'), { zero_offset: 0, sign: 1 });
  assert.deepEqual(cal.joint('elbow'), { zero_offset: 0, sign: 1 }, 'unlisted joint: identity');
  assert.deepEqual(cal.joint('constructor'), { zero_offset: 0, sign: 1 }, 'no prototype keys');
});

test('a missing file is a ConfigError that says it cannot be read', () => {
  const file = fixture('does-not-exist.yaml');
  const err = catchConfigError(() => Calibration.load(file));
  assert.equal(err.file, file);
  assert.match(err.message, /cannot read file/);
  assert.ok(err.message.startsWith(`${file}: `));
});

test('a bad field is reported with file:line:column and its path', () => {
  const file = fixture('bad-field.yaml');
  const err = catchConfigError(() => Calibration.load(file));
  assert.equal(err.file, file);
  assert.deepEqual(err.issues[0].path, ['sensors', 'cart_ticks', 'scale']);
  assert.match(err.message, new RegExp(`^${escape(file)}:7:\\d+: sensors\\.cart_ticks\\.scale: expected`));
});

test('a polynomial without an inverse on its domain fails the load at its field', () => {
  const file = fixture('non-monotonic.yaml');
  const err = catchConfigError(() => Calibration.load(file));
  assert.deepEqual(err.issues[0].path, ['sensors', 'pot']);
  assert.match(
    err.message,
    new RegExp(`^${escape(file)}:8:\\d+: sensors\\.pot: polynomial is not monotonic`),
  );
});

test('fromConfig checks the maps too, naming the file without a line', () => {
  const config = CalibrationSchema.parse({
    robot: 'x',
    version: 1,
    date: '2026-01-01',
    sensors: {},
    commands: { u: { type: 'polynomial', coefficients: [0, 0, 1], domain: [-1, 1] } },
  });
  const err = catchConfigError(() => Calibration.fromConfig(config, 'memory.yaml'));
  assert.match(err.message, /^memory\.yaml: commands\.u: polynomial is not monotonic/);
  const ok = Calibration.fromConfig({ ...config, commands: {} }, 'memory.yaml');
  assert.equal(ok.file, 'memory.yaml');
  assert.equal(ok.command('u'), undefined);
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
