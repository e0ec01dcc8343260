import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { redactUrl, resolveMqttCredentials } from './mqtt-credentials.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mbrl-mqtt-cred-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('no credentials section gives no username or password', () => {
  assert.deepEqual(resolveMqttCredentials(undefined, { baseDir: dir, env: {} }), {});
});

test('credentials come from environment variables', () => {
  const creds = resolveMqttCredentials(
    { username_env: 'BROKER_USER', password_env: 'BROKER_PASS' },
    { baseDir: dir, env: { BROKER_USER: 'robot', BROKER_PASS: 's3cret' } },
  );
  assert.deepEqual(creds, { username: 'robot', password: 's3cret' });
});

test('credentials come from files relative to the device file, without the trailing newline', () => {
  writeFileSync(path.join(dir, 'user.txt'), 'robot\n');
  writeFileSync(path.join(dir, 'pass.txt'), 'pa ss\r\n');
  const creds = resolveMqttCredentials(
    { username_file: 'user.txt', password_file: path.join(dir, 'pass.txt') },
    { baseDir: dir, env: {} },
  );
  assert.deepEqual(creds, { username: 'robot', password: 'pa ss' });
});

test('a missing environment variable is an error naming it', () => {
  assert.throws(
    () =>
      resolveMqttCredentials(
        { username_env: 'U', password_env: 'NOT_SET_PASS' },
        { baseDir: dir, env: { U: 'x' } },
      ),
    /environment variable NOT_SET_PASS is not set/,
  );
});

test('an unreadable secret file is an error naming the file but not quoting any secret', () => {
  const err = catchError(() =>
    resolveMqttCredentials(
      { username_env: 'U', password_file: 'missing.txt' },
      { baseDir: dir, env: { U: 'topsecret' } },
    ),
  );
  assert.match(err.message, /cannot read .*missing\.txt .*ENOENT/);
  assert.doesNotMatch(err.message, /topsecret/);
});

test('redactUrl strips user and password from broker URLs', () => {
  assert.equal(redactUrl('mqtt://robot:s3cret@broker.local:1883'), 'mqtt://broker.local:1883');
  assert.equal(redactUrl('mqtts://robot@broker.local:8883/'), 'mqtts://broker.local:8883/');
  assert.equal(redactUrl('wss://u:p@example.com/mqtt'), 'wss://example.com/mqtt');
  assert.equal(redactUrl('mqtt://localhost:1883'), 'mqtt://localhost:1883');
  assert.doesNotMatch(redactUrl('not a url://u:p@x'), /u:p/);
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof Error);
    return err;
  }
  assert.fail('expected an error');
}
