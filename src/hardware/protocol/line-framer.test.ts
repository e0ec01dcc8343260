import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc16 } from './crc16.js';
import { recordingSink } from './framer-testing.js';
import { LineFramer, encodeLine, xor8 } from './line-framer.js';
import { ascii, concat } from './protocol-testing.js';

function pushBytewise(framer: LineFramer, bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) framer.push(bytes.subarray(i, i + 1));
}

test('splits lines on \\n, drops a \\r before it, ignores empty lines, reports offsets', () => {
  const sink = recordingSink();
  const framer = new LineFramer(sink, 'none', 64);
  framer.push(ascii('\nA,1\r\nB,2\n\n\r\nC'));
  framer.push(ascii(',3\n'));
  assert.deepEqual(sink.texts(), ['A,1', 'B,2', 'C,3']);
  assert.deepEqual(
    sink.payloads.map((p) => p.offset),
    [1, 6, 13],
  );
  assert.equal(framer.bytesSeen, 17);
  assert.deepEqual(sink.errors, []);
});

test('xor8: NMEA-style checksum over the bytes before *, read in either case', () => {
  assert.equal(xor8(ascii('S,1'), 0, 3), 0x4e);
  assert.deepEqual(Array.from(encodeLine('S,1', 'xor8')), Array.from(ascii('S,1*4E\n')));
  const sink = recordingSink();
  const framer = new LineFramer(sink, 'xor8', 64);
  framer.push(ascii('\nS,1*4E\nS,1*4e\r\nS,1*1F\nS,1\nS,1*4\nS,1*4G\n'));
  assert.deepEqual(sink.texts(), ['S,1', 'S,1']);
  assert.deepEqual(
    sink.errors.map((e) => [e.kind, e.streamOffset]),
    [
      ['checksum', 16],
      ['checksum', 23],
      ['checksum', 27],
      ['checksum', 33],
    ],
  );
  assert.equal(
    sink.errors[0].message,
    'checksum mismatch at byte 16: expected 0x4E, got 0x1F (line "S,1*1F")',
  );
  assert.match(sink.errors[1].message, /missing "\*" checksum/);
  assert.match(sink.errors[2].message, /malformed checksum/);
});

test('crc16-ccitt line checksum: 4 hex digits', () => {
  const text = 'CMD,-250,1.5';
  const line = encodeLine(text, 'crc16-ccitt');
  const hex = crc16('crc16-ccitt', ascii(text)).toString(16).toUpperCase().padStart(4, '0');
  assert.equal(new TextDecoder().decode(line), `${text}*${hex}\n`);
  const sink = recordingSink();
  const framer = new LineFramer(sink, 'crc16-ccitt', 64);
  framer.push(ascii('\n'));
  framer.push(line);
  line[line.length - 2] ^= 0x01;
  framer.push(line);
  assert.deepEqual(sink.texts(), [text]);
  assert.equal(sink.errors.length, 1);
  assert.equal(sink.errors[0].kind, 'checksum');
  assert.equal(sink.errors[0].streamOffset, 1 + line.length);
});

test('lines over max_line_bytes are reported once, as soon as they overflow, and skipped', () => {
  const sink = recordingSink();
  const framer = new LineFramer(sink, 'none', 8);
  framer.push(ascii('\n12345678\n1234567\r\nX'));
  assert.deepEqual(sink.texts(), ['12345678', '1234567']);
  framer.push(ascii('23456789'));
  assert.equal(sink.errors.length, 0, 'max + 1 bytes might still end in \\r\\n');
  framer.push(ascii('a'));
  assert.equal(sink.errors.length, 1, 'reported before the newline arrives');
  framer.push(ascii('bcdefghijklmnop'));
  framer.push(ascii('\r\nok\n'));
  assert.deepEqual(sink.texts(), ['12345678', '1234567', 'ok']);
  assert.equal(sink.errors.length, 1);
  assert.equal(sink.errors[0].kind, 'oversize');
  assert.equal(sink.errors[0].streamOffset, 19);
  assert.match(
    sink.errors[0].message,
    /^oversize at byte 19: line longer than max_line_bytes \(8\) \(line "X23456789"\)$/,
  );
  // Exactly max + '\r' is fine, max + 1 content bytes and '\r' is not.
  framer.push(ascii('123456789\r\n'));
  assert.equal(sink.errors.length, 2);
  assert.equal(sink.errors[1].streamOffset, 49);
});

test('the first line after start or reset is reported as truncated if it does not decode', () => {
  const sink = recordingSink((p) => (p[0] === 0x53 ? undefined : { kind: 'unknown_id', detail: 'not S' }));
  const framer = new LineFramer(sink, 'none', 64);
  framer.push(ascii('2,3\nS,1\nX,1\n'));
  assert.deepEqual(sink.texts(), ['S,1']);
  assert.deepEqual(
    sink.errors.map((e) => [e.kind, e.streamOffset]),
    [
      ['truncated', 0],
      ['unknown_id', 8],
    ],
  );
  assert.match(sink.errors[0].message, /first line after start or reset is incomplete \(unknown_id: not S\)/);
  // A first line that decodes is delivered.
  framer.push(ascii('S,'));
  framer.reset();
  assert.deepEqual(
    sink.errors.slice(2).map((e) => [e.kind, e.streamOffset, e.preview]),
    [['truncated', 12, '"S,"']],
  );
  assert.equal(framer.bytesSeen, 0);
  framer.push(ascii('S,2\n,9\nS,3\n'));
  assert.deepEqual(sink.texts(), ['S,1', 'S,2', 'S,3']);
  assert.equal(sink.errors.length, 4);
  assert.deepEqual([sink.errors[3].kind, sink.errors[3].streamOffset], ['unknown_id', 4]);
});

test('reset with nothing pending, or while skipping an oversize line, reports nothing', () => {
  const sink = recordingSink();
  const framer = new LineFramer(sink, 'none', 4);
  framer.reset();
  framer.push(ascii('\n1234567'));
  framer.reset();
  assert.deepEqual(
    sink.errors.map((e) => e.kind),
    ['oversize'],
  );
});

test('a line pushed one byte at a time decodes the same', () => {
  const sink = recordingSink();
  const framer = new LineFramer(sink, 'xor8', 64);
  pushBytewise(framer, concatLines(['', 'S,1', 'T,22,33']));
  assert.deepEqual(sink.texts(), ['S,1', 'T,22,33']);
  assert.deepEqual(
    sink.payloads.map((p) => p.offset),
    [1, 8],
  );
});

function concatLines(texts: string[]): Uint8Array {
  return concat(...texts.map((t) => (t === '' ? ascii('\n') : encodeLine(t, 'xor8'))));
}

test('encodeLine refuses lines the peer would drop and non-ASCII text', () => {
  assert.throws(() => encodeLine('S,12345', 'xor8', 7), /exceeds max_line_bytes \(7\)/);
  assert.equal(encodeLine('S,1234', 'none', 6).length, 7);
  assert.throws(() => encodeLine('S,\u00e9', 'none'), RangeError);
});
