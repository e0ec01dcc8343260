import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { CTRL_C, KeyDecoder, TeleopKeyboardInput } from './keyboard-input.js';

/** Polls (no fixed sleeps) until `condition` holds. */
async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for condition');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function fakeTTY() {
  const calls: boolean[] = [];
  const stream = Object.assign(new PassThrough(), {
    isTTY: true,
    isRaw: false,
    setRawMode(mode: boolean) {
      calls.push(mode);
      stream.isRaw = mode;
      return stream;
    },
  });
  return { stream, calls };
}

test('decodes printable keys, space and Ctrl-C; drops other control and non-ASCII bytes', () => {
  const d = new KeyDecoder();
  assert.deepEqual(d.push(Buffer.from('ad Q~', 'latin1'), 0), ['a', 'd', ' ', 'Q', '~']);
  assert.deepEqual(d.push(Uint8Array.from([0x03, 0x0d, 0x0a, 0x09, 0x7f, 0x04]), 0), [CTRL_C]);
  assert.deepEqual(d.push('é€x', 0), ['x'], 'UTF-8 bytes are not keys');
});

test('arrow escape sequences become named keys and never letters', () => {
  const d = new KeyDecoder();
  assert.deepEqual(d.push('\x1b[A\x1b[B\x1b[C\x1b[D', 0), ['up', 'down', 'right', 'left']);
  assert.deepEqual(d.push('\x1bOA\x1bOD', 0), ['up', 'left'], 'application cursor mode (SS3)');
  assert.deepEqual(d.push('\x1b[1;5C', 0), ['right'], 'with a modifier');
  assert.deepEqual(d.push('\x1b[3~\x1b[15~\x1b[200~d', 0), ['d'], 'other CSI sequences are dropped whole');
  assert.deepEqual(d.push('\x1b', 0), [], 'split across chunks');
  assert.deepEqual(d.push('[', 1), []);
  assert.deepEqual(d.push('Ba', 2), ['down', 'a']);
  assert.deepEqual(d.push('\x1bd', 3), ['d'], 'Alt+d gives d');
});

test('a lone Esc does not swallow a key typed later', () => {
  const d = new KeyDecoder(100);
  assert.deepEqual(d.push('\x1b', 0), []);
  assert.deepEqual(d.push('[', 10), []);
  assert.deepEqual(d.push('d', 500), ['d']);
});

test('delivers keys from a stream to listeners until unsubscribed or stopped', async () => {
  const stream = new PassThrough();
  const input = new TeleopKeyboardInput({ stream });
  const got: string[] = [];
  const off = input.onKey((k) => got.push(k));
  input.start();
  input.start();
  assert.equal(input.running, true);
  assert.equal(input.isTTY, false);
  stream.write('a\x1b[Ad');
  await until(() => got.length >= 3);
  assert.deepEqual(got, ['a', 'up', 'd']);
  off();
  stream.write('x');
  const other: string[] = [];
  input.onKey((k) => other.push(k));
  stream.write('y');
  await until(() => other.length >= 1);
  assert.deepEqual(got, ['a', 'up', 'd']);
  input.stop();
  input.stop();
  assert.equal(input.running, false);
});

test('a TTY is put in raw mode on start and restored once on stop; exit/signal hooks are removed', () => {
  const { stream, calls } = fakeTTY();
  const before = ['exit', 'SIGINT', 'SIGTERM'].map((e) => process.listenerCount(e));
  const input = new TeleopKeyboardInput({ stream });
  input.start();
  assert.deepEqual(calls, [true]);
  assert.equal(process.listenerCount('SIGINT'), before[1] + 1, 'terminal restored on SIGINT too');
  input.stop();
  input.stop();
  assert.deepEqual(calls, [true, false]);
  assert.deepEqual(
    ['exit', 'SIGINT', 'SIGTERM'].map((e) => process.listenerCount(e)),
    before,
  );
});

test('a terminal already in raw mode is left raw on stop', () => {
  const { stream, calls } = fakeTTY();
  stream.isRaw = true;
  const input = new TeleopKeyboardInput({ stream });
  input.start();
  input.stop();
  assert.deepEqual(calls, [true, true]);
});

test('the end of the stream stops the input, restores the terminal and is reported once', async () => {
  const { stream, calls } = fakeTTY();
  const input = new TeleopKeyboardInput({ stream });
  const reasons: string[] = [];
  input.onClose((r) => reasons.push(r));
  input.start();
  stream.end();
  await until(() => reasons.length > 0);
  assert.deepEqual(reasons, ['input stream ended']);
  assert.deepEqual(calls, [true, false]);
  assert.equal(input.running, false);
  input.start();
  assert.equal(input.running, false, 'a closed input does not restart');
});
