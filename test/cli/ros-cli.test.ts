/**
 * `mbrl ros <kind>` as the ROS 2 wrappers start it. ROS 2 is not installed here, so the ros2
 * transport is checked for its error only; the in-process transport runs a kind for real with
 * the launch files' params file and `-p` overrides, through the same parameter and config path.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { packageRoot } from '../../src/config/package-paths.js';
import { readTransitionLog } from '../../src/datalog/transition-log-reader.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const root = packageRoot();
const STACK = /^\s+at .*[.:]\d+/m;

async function mbrl(args: string[], env: NodeJS.ProcessEnv = process.env) {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], {
      cwd: root,
      env,
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('mbrl ros robot on the in-process transport reads the params file and -p overrides, runs and logs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ros-cli-'));
  const logs = join(dir, 'logs');
  const result = await mbrl([
    'ros',
    'robot',
    '--transport',
    'in-process',
    '--seconds',
    '3',
    '--ros-args',
    '--params-file',
    join(root, 'launch/params/robot.yaml'),
    '-p',
    'robot_config:=cartpole-realtime',
    // The robot node's own section in the file sets log_dir: '' and wins over a global
    // `-p log_dir:=...` (as in rclnodejs); a node-specific rule wins over it.
    '-p',
    `robot:log_dir:=${logs}`,
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /mbrl ros robot \(in-process\): robot cartpole .*logging to .*logs/);
  assert.match(result.stderr, /mbrl ros robot: stopped/);
  assert.equal(readdirSync(logs).filter((f) => f.endsWith('.mcap')).length, 1);
  const { records } = await readTransitionLog(logs);
  assert.ok(records.length >= 20, `logged ${records.length} transitions in 3 s`);
});

test('mbrl ros on ROS 2 without a sourced ROS 2: exit 2 and what to do, no stack trace', async () => {
  const env = { ...process.env };
  delete env.ROS_DISTRO;
  const result = await mbrl(['ros', 'controller', '--config', 'cartpole-serial'], env);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /the ROS 2 transport needs rclnodejs/);
  assert.match(result.stderr, /source \/opt\/ros\/<distro>\/setup\.bash/);
  assert.doesNotMatch(result.stderr, STACK);
});

test('mbrl ros refuses an unknown kind, a bad ROS argument and a bad config, each by name', async () => {
  const kind = await mbrl(['ros', 'planner', '--transport', 'in-process']);
  assert.equal(kind.code, 2);
  assert.match(kind.stderr, /unknown node kind 'planner' \(expected one of: controller, data_logger/);

  const remap = await mbrl(['ros', 'robot', '--transport', 'in-process', '--ros-args', '-r', 'command:=cmd']);
  assert.equal(remap.code, 2);
  assert.match(remap.stderr, /-r command:=cmd: topic remapping is not supported on the in-process transport/);

  const config = await mbrl(['ros', 'controller', '--transport', 'in-process', '--config', 'no-such-robot']);
  assert.equal(config.code, 2);
  assert.match(
    config.stderr,
    /lifecycle transition 'configure' of node '\/controller' failed: robot config 'no-such-robot' not found/,
  );
  assert.doesNotMatch(config.stderr, STACK);
});
