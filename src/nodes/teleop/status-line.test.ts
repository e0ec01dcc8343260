import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { StatusLine } from './status-line.js';

function sink(tty: boolean, columns?: number) {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString());
        done();
      },
    }),
    { isTTY: tty, columns },
  );
  return { stream, chunks };
}

test('on a TTY each update rewrites the line in place and done() ends it', () => {
  const { stream, chunks } = sink(true, 20);
  const status = new StatusLine({ stream });
  status.update('teleop +0.10');
  status.update('teleop +0.20 and a tail that is too wide');
  status.done();
  assert.deepEqual(chunks, ['\rteleop +0.10\x1b[K', '\rteleop +0.20 and a \x1b[K', '\n']);
});

test('elsewhere writes whole lines, at most one per interval, skipping repeats, flushing the last', () => {
  const { stream, chunks } = sink(false);
  let now = 0;
  const status = new StatusLine({ stream, intervalMs: 1000, now: () => now });
  status.update('a');
  now = 200;
  status.update('b');
  now = 400;
  status.update('c');
  now = 1100;
  status.update('d');
  now = 2200;
  status.update('d');
  now = 2400;
  status.update('e');
  now = 2500;
  status.update('f');
  assert.deepEqual(chunks, ['a\n', 'd\n', 'e\n']);
  status.done();
  assert.deepEqual(chunks, ['a\n', 'd\n', 'e\n', 'f\n']);
});
