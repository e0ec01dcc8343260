/**
 * PETS on a robot as `mbrl run` composes it (here the embedded simulator in real time on the
 * wall clock stands in for the robot): the controller explores with random actions, the
 * logger asks for a refit, the trainer's first accepted model starts the asynchronous planner,
 * and the controller hands over to MPC by itself; the log shows both sources and the model
 * version that planned each MPC action.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRobotConfig } from '../../src/config/robot-loader.js';
import { loadTask } from '../../src/config/task-loader.js';
import { readTransitionLog } from '../../src/datalog/transition-log-reader.js';
import { waitFor } from '../../src/hardware/testing/wait-for.js';
import { RobotStack } from '../../src/robot/robot-stack.js';
import { setLogSink } from '../../src/runtime/logger.js';

test('a PETS robot run explores, fits its first model and switches to MPC by itself', async () => {
  setLogSink(() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'robot-pets-'));
  const robotFile = join(dir, 'robot.yaml');
  writeFileSync(
    robotFile,
    [
      'robot: cartpole',
      'task: cartpole-swingup',
      'control: { rate_hz: 25, stale_timeout_s: 0.1, clock: wall }',
      'controller: { type: pets, optimizer: icem }',
      'model: { members: 5, elites: 5, hidden_layers: 2, hidden_units: 64, epochs: 5, batch_size: 32 }',
      `logger: { dir: ${JSON.stringify(join(dir, 'logs'))}, flush_interval_s: 0.2, refit_every_transitions: 100 }`,
      'drivers: [{ type: sim, mode: realtime, sensor_rate_hz: 100 }]',
    ].join('\n'),
  );
  const stack = await RobotStack.create({
    config: loadRobotConfig(robotFile),
    task: loadTask('cartpole-swingup'),
    purpose: 'run',
    seed: 3,
  });
  try {
    stack.start();
    assert.equal(stack.controller.mode, 'random');
    await waitFor(() => stack.controller.mode === 'mpc', 'the switch to MPC', 90_000, 50);
    assert.ok(stack.modelVersion >= 1);
    const atSwitch = stack.logger.stats.transitions;
    await waitFor(
      () => stack.logger.stats.transitions >= atSwitch + 25,
      '25 transitions under MPC',
      30_000,
      50,
    );
  } finally {
    await stack.stop();
  }
  const { records } = await readTransitionLog(join(dir, 'logs'));
  const random = records.filter((r) => r.source === 'random');
  const mpc = records.filter((r) => r.source === 'mpc');
  assert.ok(random.length >= 100, `random transitions ${random.length}`);
  assert.ok(
    mpc.length >= 10,
    `mpc transitions ${mpc.length} (sources: ${[...new Set(records.map((r) => r.source))]})`,
  );
  assert.ok(mpc.every((r) => r.modelVersion >= 1));
  assert.ok(random.every((r) => r.modelVersion === 0));
  // Exploration came first; MPC took over after it.
  assert.ok(records.indexOf(mpc[0]) > records.indexOf(random[99]));
  rmSync(dir, { recursive: true, force: true });
});
