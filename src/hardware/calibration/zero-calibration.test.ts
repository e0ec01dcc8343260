import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadDeviceConfig } from '../../config/device-loader.js';
import { packageRoot } from '../../config/package-paths.js';
import { loadTask } from '../../config/task-loader.js';
import { DeviceMapping } from '../device-mapping.js';
import { Calibration } from './calibration.js';
import { writeCalibrationFile, zeroCalibration } from './zero-calibration.js';

const root = packageRoot();
const calFile = path.join(root, 'calibration', 'cartpole.yaml');
const deviceFile = path.join(root, 'hardware', 'devices', 'cartpole-serial.yaml');
const TICK = (2 * Math.PI) / 16384;
const tmpDirs: string[] = [];
after(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tmpDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mbrl-calibration-test-'));
  tmpDirs.push(dir);
  return dir;
}

function setup(calibration = Calibration.load(calFile)) {
  const mapping = DeviceMapping.create({
    device: loadDeviceConfig(deviceFile),
    calibration,
    deviceFile,
    task: loadTask('cartpole-swingup').task,
  });
  return { calibration, mapping };
}

/** Deterministic noise in [-1, 1). */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

/**
 * Raw samples of a cart-pole held with the cart at `cart` m and the pole hanging (pi), whose
 * encoders are mounted `cartOffset` m and `poleOffset` rad off: what the true offsets give.
 */
function heldSamples(n: number, cartOffset: number, poleOffset: number, drift = 0): number[][] {
  const rand = noise(7);
  return Array.from({ length: n }, (_, k) => {
    const cartTicks = Math.round((0.02 + cartOffset) / 1e-4 + 3 * rand());
    // The hinge has sign -1: cal(raw) = sign * pose + zero_offset.
    const poleTicks = Math.round((-Math.PI + poleOffset + drift * k) / TICK + 2 * rand());
    return [cartTicks, poleTicks, Math.round(5 * rand()), Math.round(5 * rand()), 0];
  });
}

test('zero offsets recovered from samples at a held pose', () => {
  const { calibration, mapping } = setup();
  const before = structuredClone(calibration.config);
  const samples = heldSamples(50, 0.031, 0.123);
  const { config, offsets } = zeroCalibration({
    calibration,
    mapping,
    rawSamples: samples,
    pose: { slider: 0.02, hinge: Math.PI },
    today: new Date(2027, 2, 4, 23, 30),
  });
  assert.ok(Math.abs(offsets.slider.after - 0.031) < 2e-4, `slider ${offsets.slider.after}`);
  assert.ok(Math.abs(offsets.hinge.after - 0.123) < 2e-3, `hinge ${offsets.hinge.after}`);
  assert.equal(offsets.hinge.before, 0);
  assert.ok(offsets.hinge.std > 0 && offsets.hinge.std < 0.01);
  assert.equal(config.version, 2);
  assert.equal(config.date, '2027-03-04', 'local calendar day');
  assert.deepEqual(config.joints.hinge, { zero_offset: offsets.hinge.after, sign: -1 });
  assert.deepEqual(config.sensors, before.sensors);
  assert.deepEqual(config.commands, before.commands);
  assert.deepEqual(calibration.config, before, 'the input is not modified');

  // With the new offsets the same samples read as the pose.
  const recal = setup(Calibration.fromConfig(config, calFile)).mapping;
  const { position } = recal.sensorsToMessages(samples[0], { sec: 0, nanosec: 0 }).jointState;
  assert.ok(Math.abs(position[0] - 0.02) < 5e-4, `slider reads ${position[0]}`);
  assert.ok(Math.abs(position[1] - Math.PI) < 5e-3, `hinge reads ${position[1]}`);
});

test('only the joints asked for are zeroed', () => {
  const { calibration, mapping } = setup();
  const { config, offsets } = zeroCalibration({
    calibration,
    mapping,
    rawSamples: heldSamples(10, 0.5, 0.1),
    pose: { slider: 0, hinge: Math.PI },
    joints: ['hinge'],
  });
  assert.deepEqual(Object.keys(offsets), ['hinge']);
  assert.deepEqual(config.joints.slider, { zero_offset: 0, sign: 1 });
  assert.match(config.date, /^\d{4}-\d{2}-\d{2}$/);
});

test('a joint that moves, too few samples, non-finite samples and unknown joints are refused', () => {
  const { calibration, mapping } = setup();
  const pose = { slider: 0, hinge: Math.PI };
  assert.throws(
    () => zeroCalibration({ calibration, mapping, rawSamples: heldSamples(30, 0, 0, 0.01), pose }),
    /joint "hinge" moved while sampling: std of its position 0\.08\d* > 0\.01/,
  );
  assert.throws(
    () => zeroCalibration({ calibration, mapping, rawSamples: heldSamples(9, 0, 0), pose }),
    /at least 10 samples, got 9/,
  );
  assert.doesNotThrow(() =>
    zeroCalibration({ calibration, mapping, rawSamples: heldSamples(3, 0, 0), pose, minSamples: 3 }),
  );
  const bad = heldSamples(12, 0, 0);
  bad[4][1] = NaN;
  assert.throws(
    () => zeroCalibration({ calibration, mapping, rawSamples: bad, pose }),
    /sample 4 is not finite \(pole_ticks = NaN\)/,
  );
  const bad2 = heldSamples(12, 0, 0);
  bad2[0][4] = Infinity;
  assert.throws(
    () => zeroCalibration({ calibration, mapping, rawSamples: bad2, pose, joints: ['hinge'] }),
    /sample 0 is not finite \(motor_current = Infinity\)/,
  );
  assert.throws(
    () => zeroCalibration({ calibration, mapping, rawSamples: heldSamples(12, 0, 0), pose: { elbow: 0 } }),
    /joint "elbow" is not published/,
  );
  assert.throws(
    () =>
      zeroCalibration({
        calibration,
        mapping,
        rawSamples: heldSamples(12, 0, 0),
        pose,
        joints: ['hinge', 'x'],
      }),
    /no finite pose given for joint "x"/,
  );
});

test('writeCalibrationFile keeps comments and layout, bumps the version, and leaves no temp file', () => {
  const shippedText = readFileSync(calFile, 'utf8');
  const dir = tmpDir();
  const file = path.join(dir, 'cartpole.yaml');
  copyFileSync(calFile, file);
  const calibration = Calibration.load(file);
  const { mapping } = setup(calibration);
  const { config } = zeroCalibration({
    calibration,
    mapping,
    rawSamples: heldSamples(20, 0.01, -0.2),
    pose: { slider: 0.02, hinge: Math.PI },
    today: new Date(2027, 0, 15),
  });
  writeCalibrationFile(file, config);

  const text = readFileSync(file, 'utf8');
  assert.deepEqual(readdirSync(dir), ['cartpole.yaml']);
  assert.match(text, /^# Calibration of the cart-pole's raw device fields/);
  assert.match(text, /# m per tick/);
  assert.match(text, /# The encoder counts clockwise seen from the front; MuJoCo's hinge axis is \+y\./);
  assert.match(text, /^version: 2$/m);
  assert.match(text, /^date: 2027-01-15$/m);
  assert.match(text, /^ {2}hinge: \{ zero_offset: -0\.19\d+, sign: -1 \}$/m, 'flow mapping kept');
  assert.match(text, /cart_ticks: \{ type: linear, scale: 0\.0001 \} # m per tick/, 'untouched lines kept');
  assert.doesNotMatch(text, /scale: [\d.]+, offset/, 'defaulted offsets are not written out');
  // Only the changed lines differ.
  const changed = text.split('\n').filter((l, i) => l !== shippedText.split('\n')[i]);
  assert.equal(changed.length, 4, changed.join('\n'));

  const reloaded = Calibration.load(file);
  assert.deepEqual(reloaded.config, config);
  assert.equal(readFileSync(calFile, 'utf8'), shippedText, 'the shipped file is untouched');
});

test('writeCalibrationFile adds a joint entry the file lacks, keeping the comments', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'cartpole.yaml');
  copyFileSync(calFile, file);
  const config = structuredClone(Calibration.load(file).config);
  config.joints.extra = { zero_offset: 0.5, sign: -1 };
  config.version += 1;
  writeCalibrationFile(file, config);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /# The encoder counts clockwise/);
  assert.match(text, /# m per tick/);
  assert.deepEqual(Calibration.load(file).config, config);
});

test('writeCalibrationFile creates a missing file and refuses an invalid config', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'new.yaml');
  const config = Calibration.load(calFile).config;
  writeCalibrationFile(file, config);
  assert.deepEqual(Calibration.load(file).config, config);
  assert.throws(() => writeCalibrationFile(file, { ...config, version: 0 }), /version/);
  assert.deepEqual(Calibration.load(file).config, config, 'unchanged after the refusal');
});
