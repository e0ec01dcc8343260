/**
 * A robot stack that cannot be built leaves nothing behind: no timers keeping the process
 * alive, no log-directory lock, no half-configured robot; and a controller `mbrl run` cannot
 * run is refused before anything starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRobotConfig } from '../../src/config/robot-loader.js';
import { loadTask } from '../../src/config/task-loader.js';
import { TransitionLogWriter } from '../../src/datalog/transition-log-writer.js';
import { RobotStack } from '../../src/robot/robot-stack.js';
import { setLogSink } from '../../src/runtime/logger.js';

function robot(dir: string, lines: string[]): string {
  const file = join(dir, 'robot.yaml');
  writeFileSync(
    file,
    [
      'robot: cartpole',
      'task: cartpole-swingup',
      `logger: { dir: ${JSON.stringify(join(dir, 'logs'))} }`,
      'drivers: [{ type: sim, mode: realtime }]',
      ...lines,
    ].join('\n'),
  );
  return file;
}

test('a failure while building the stack tears down what was built and releases the log lock', async () => {
  setLogSink(() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'robot-stack-errors-'));
  try {
    // The e-stop key is also mapped to an action: the teleop node refuses it after the drivers
    // and the log exist.
    const file = robot(dir, [
      'controller: { type: teleop }',
      'teleop: { keyboard: { keys: [{ key: e, action: cart_force, delta: 0.1 }] } }',
    ]);
    await assert.rejects(
      RobotStack.create({
        config: loadRobotConfig(file),
        task: loadTask('cartpole-swingup'),
        purpose: 'teleop',
      }),
      /key "?e"? is already the estop_key key/,
    );
    // The lock is gone: another writer can open the directory.
    const writer = await TransitionLogWriter.open({
      dir: join(dir, 'logs'),
      task: { name: 'cartpole-swingup', stateNames: ['a'], actionNames: ['b'] },
      flushIntervalS: 1,
      rotateBytes: 1024 * 1024,
    });
    await writer.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('controller lqr-flm is refused by mbrl run before anything is created', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'robot-stack-errors-'));
  try {
    const file = robot(dir, ['controller: { type: lqr-flm }']);
    await assert.rejects(
      RobotStack.create({
        config: loadRobotConfig(file),
        task: loadTask('cartpole-swingup'),
        purpose: 'run',
      }),
      (err: Error) => err instanceof RangeError && /mbrl sim --controller lqr-flm/.test(err.message),
    );
    assert.equal(existsSync(join(dir, 'logs')), false, 'no log directory was created');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
