import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  loadParamsFile,
  parametersForNode,
  parseRosArgs,
  splitRosArgs,
  unmatchedKeyReason,
} from './ros-args.js';

test('splitRosArgs: --ros-args blocks end at -- or the end', () => {
  assert.deepEqual(splitRosArgs(['ros', 'controller', '--ros-args', '-p', 'a:=1', '--', '--config', 'x']), {
    app: ['ros', 'controller', '--config', 'x'],
    ros: ['-p', 'a:=1'],
  });
  assert.deepEqual(splitRosArgs(['run']), { app: ['run'], ros: [] });
});

test("params files and -p as rclnodejs applies them: every '/**' rule first, then the node's own", () => {
  const dir = mkdtempSync(join(tmpdir(), 'ros-args-'));
  const file = join(dir, 'params.yaml');
  writeFileSync(
    file,
    [
      '/**:',
      '  ros__parameters: { robot_config: a.yaml, seed: 1, log_dir: "" }',
      'controller:',
      '  ros__parameters:',
      '    seed: 7',
      '    limits: { max: 2.5, names: [x, y] }',
      'trainer:',
      '  ros__parameters: { models_dir: m }',
    ].join('\n'),
  );
  const args = parseRosArgs([
    '-p',
    'log_dir:=/logs',
    '--params-file',
    file,
    '-p',
    'robot_config:=b.yaml',
    '-p',
    'controller:mode:=teleop',
    '-r',
    '__ns:=/robot',
    '--log-level',
    'WARN',
  ]);
  assert.equal(args.namespace, '/robot');
  assert.equal(args.logLevel, 'warn');
  // A node's own section wins over any '/**' rule, whatever the order; '/**' rules in order.
  assert.deepEqual(parametersForNode(args, 'controller'), {
    robot_config: 'b.yaml',
    seed: 7,
    log_dir: '',
    'limits.max': 2.5,
    'limits.names': ['x', 'y'],
    mode: 'teleop',
  });
  assert.deepEqual(parametersForNode(args, 'trainer'), {
    robot_config: 'b.yaml',
    seed: 1,
    log_dir: '',
    models_dir: 'm',
  });
});

test('keys rclnodejs would ignore (namespaced, other wildcards) are refused, not silently dropped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ros-args-'));
  const file = join(dir, 'params.yaml');
  writeFileSync(file, '/robot/controller:\n  ros__parameters: { seed: 1 }\n');
  assert.throws(
    () => parseRosArgs(['--params-file', file]),
    /node key '\/robot\/controller' would be ignored: rclnodejs matches only '\/\*\*' and bare node names/,
  );
  assert.throws(() => parseRosArgs(['-p', '/robot/x:seed:=1']), /<bare node name>:name:=value/);
  assert.equal(unmatchedKeyReason('/**'), undefined);
  assert.equal(unmatchedKeyReason('driver_0_serial'), undefined);
  assert.match(unmatchedKeyReason('/**/controller') ?? '', /would be ignored/);
});

test('bad ROS arguments and files are refused naming the argument, file and node', () => {
  assert.throws(() => parseRosArgs(['-p', 'novalue']), /-p novalue: expected \[node:\]name:=value/);
  assert.throws(() => parseRosArgs(['-p', 'a:={x: 1}']), /not a parameter value/);
  assert.throws(
    () => parseRosArgs(['--enclave', '/x']),
    /'--enclave' is not supported on the in-process transport/,
  );
  assert.throws(() => parseRosArgs(['--params-file']), /--params-file needs a value/);
  const dir = mkdtempSync(join(tmpdir(), 'ros-args-'));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'controller:\n  parameters: { seed: 1 }\n');
  assert.throws(
    () => loadParamsFile(file),
    new RegExp(`parameters file ${file}: node 'controller' has no ros__parameters`),
  );
  writeFileSync(file, 'controller:\n  ros__parameters: { mixed: [1, a] }\n');
  assert.throws(() => loadParamsFile(file), /node 'controller'.*parameter 'mixed'.*homogeneous array/);
});
