import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hardwareDir } from '../config/package-paths.js';
import { MujocoModelError } from './mujoco-model-error.js';
import { MujocoSimulator } from './mujoco-simulator.js';

const mjcf = (name: string) => join(hardwareDir(), 'mujoco', name);

test('an undamped, unactuated pendulum conserves energy', async () => {
  const sim = await MujocoSimulator.load(mjcf('pendulum.xml'));
  try {
    sim.qpos()[sim.joint('hinge').qposAddress] = 1.0;
    sim.forward();
    const [p0, k0] = sim.energy();
    const e0 = p0 + k0;
    // Potential energy of a 1 kg, 1 m rod at 1 rad from upright: m g (l/2) cos(1).
    assert.ok(Math.abs(p0 - 9.81 * 0.5 * Math.cos(1)) < 1e-9, `potential ${p0}`);
    let maxDrift = 0;
    for (let i = 0; i < 3000; i++) {
      sim.step();
      const [p, k] = sim.energy();
      maxDrift = Math.max(maxDrift, Math.abs(p + k - e0));
    }
    // RK4 at h = 10 ms drifts ~3e-5 J over 60 s here (local error O(h^5)); 1e-3 J is 0.02%
    // of m g l/2 = 4.9 J, while any damping, friction or a first-order integrator would
    // lose or gain far more over these 30 s of swinging.
    assert.ok(maxDrift < 1e-3, `energy drift ${maxDrift} J`);
    assert.ok(Math.abs(sim.time - 30) < 1e-9);
  } finally {
    sim.dispose();
  }
});

test('joints, actuators and sensors are found by name', async () => {
  const sim = await MujocoSimulator.load(mjcf('cartpole.xml'));
  try {
    assert.deepEqual(
      sim.joints.map((j) => [j.name, j.kind]),
      [
        ['slider', 'slide'],
        ['hinge', 'hinge'],
      ],
    );
    assert.deepEqual(sim.actuatorNames, ['cart_force']);
    assert.equal(sim.sensor('pole_imu_gyro').type, 'gyro');
    assert.equal(sim.sensor('pole_imu_gyro').objectName, 'pole_imu');
    assert.throws(() => sim.joint('elbow'), /no joint named "elbow" \(joints: slider, hinge\)/);
    assert.throws(() => sim.actuatorIndex('nope'), /no actuator named "nope" \(actuators: cart_force\)/);
  } finally {
    sim.dispose();
  }
});

test('a broken or missing MJCF file is an error naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mbrl-mjcf-'));
  const bad = join(dir, 'bad.xml');
  writeFileSync(bad, '<mujoco><worldbody><body><joint type="bogus"/></body></worldbody></mujoco>');
  await assert.rejects(MujocoSimulator.load(bad), (e: unknown) => {
    assert.ok(e instanceof MujocoModelError);
    assert.ok(e.message.startsWith(bad), e.message);
    assert.match(e.message, /could not load the model/);
    return true;
  });
  const truncated = join(dir, 'truncated.xml');
  writeFileSync(truncated, '<mujoco><worldbody>');
  await assert.rejects(
    MujocoSimulator.load(truncated),
    /truncated\.xml: MuJoCo could not load the model.*XML/s,
  );
  await assert.rejects(MujocoSimulator.load(join(dir, 'missing.xml')), /missing\.xml: cannot read MJCF file/);
});
