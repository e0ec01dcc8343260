import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, formatPath } from './config-error.js';

test('each issue is one line: file:line:column: path: message', () => {
  const err = new ConfigError('robots/arm.yaml', [
    {
      path: ['controller', 'horizon'],
      message: 'expected integer, received string "x"',
      line: 7,
      column: 12,
    },
    { path: ['drivers', 0, 'type'], message: 'expected one of "serial" | "mqtt"', line: 9 },
  ]);
  assert.equal(
    err.message,
    [
      'robots/arm.yaml:7:12: controller.horizon: expected integer, received string "x"',
      'robots/arm.yaml:9: drivers[0].type: expected one of "serial" | "mqtt"',
    ].join('\n'),
  );
  assert.equal(err.file, 'robots/arm.yaml');
  assert.equal(err.issues.length, 2);
  assert.equal(err.name, 'ConfigError');
  assert.ok(err instanceof Error);
});

test('unknown position is omitted and an empty path shows (root)', () => {
  const err = new ConfigError('x.yaml', [{ path: [], message: 'file is empty' }]);
  assert.equal(err.message, 'x.yaml: (root): file is empty');
});

test('an error built with no issues still says something', () => {
  assert.equal(new ConfigError('x.yaml', []).message, 'x.yaml: (root): invalid configuration');
});

test('paths: indices in brackets, odd keys quoted', () => {
  assert.equal(formatPath(['state', 2, 'name']), 'state[2].name');
  assert.equal(formatPath([0, 'a']), '[0].a');
  assert.equal(formatPath(['limits', 'joint.1', 'max']), 'limits["joint.1"].max');
  assert.equal(formatPath(['task-name', 'lqr-flm']), 'task-name.lqr-flm');
  assert.equal(formatPath(['points', '1bad']), 'points["1bad"]');
});
