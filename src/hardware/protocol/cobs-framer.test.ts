import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cobsDecode, cobsEncode } from './cobs.js';
import { CobsFramer, encodeCobsFrame } from './cobs-framer.js';
import { crc16 } from './crc16.js';
import { recordingSink } from './framer-testing.js';
import { concat } from './protocol-testing.js';

/** A frame for payload (CRC appended by encodeCobsFrame). */
function frame(payload: number[], crc: 'none' | 'crc16-ccitt' | 'crc16-modbus' = 'crc16-ccitt'): Uint8Array {
  const buffer = new Uint8Array(payload.length + 2);
  buffer.set(payload);
  return encodeCobsFrame(buffer, payload.length, crc);
}

test('encodeCobsFrame appends the CRC little-endian, COBS-encodes and terminates with 0x00', () => {
  const payload = [0x01, 0x00, 0x10, 0x00];
  const bytes = frame(payload);
  assert.equal(bytes[bytes.length - 1], 0);
  assert.ok(!bytes.subarray(0, -1).includes(0));
  const c = crc16('crc16-ccitt', new Uint8Array(payload));
  assert.deepEqual(Array.from(cobsDecode(bytes, 0, bytes.length - 1)), [...payload, c & 0xff, c >>> 8]);
  assert.deepEqual(Array.from(frame(payload, 'none')), [...cobsEncode(new Uint8Array(payload)), 0]);
  assert.throws(() => encodeCobsFrame(new Uint8Array(3), 2, 'crc16-ccitt'), RangeError);
});

test('decodes frames, ignores empty ones, reports offsets; CRC kinds and none', () => {
  for (const crc of ['none', 'crc16-ccitt', 'crc16-modbus'] as const) {
    const sink = recordingSink();
    const framer = new CobsFramer(sink, crc, 64);
    const a = frame([1, 0, 2], crc);
    const b = frame([0, 0, 0, 0], crc);
    const stream = concat([0, 0], a, [0], b, [0, 0]);
    framer.push(stream);
    assert.deepEqual(
      sink.payloads.map((p) => p.bytes),
      [
        [1, 0, 2],
        [0, 0, 0, 0],
      ],
    );
    assert.deepEqual(
      sink.payloads.map((p) => p.offset),
      [2, 3 + a.length],
    );
    assert.deepEqual(sink.errors, []);
    assert.equal(framer.bytesSeen, stream.length);
  }
});

test('a bad CRC is a checksum error at the frame start; the next frame decodes', () => {
  const sink = recordingSink();
  const framer = new CobsFramer(sink, 'crc16-ccitt', 64);
  const good = frame([5, 6, 7]);
  const c = crc16('crc16-ccitt', new Uint8Array([5, 6, 7]));
  const bad = concat(cobsEncode(new Uint8Array([5, 6, 7, c & 0xff, (c >>> 8) ^ 0x40])), [0]);
  framer.push(concat([0], good, bad, good));
  assert.equal(sink.payloads.length, 2);
  assert.equal(sink.errors.length, 1);
  const e = sink.errors[0];
  assert.equal(e.kind, 'checksum');
  assert.equal(e.streamOffset, 1 + good.length);
  const hex = (v: number) => `0x${v.toString(16).toUpperCase().padStart(4, '0')}`;
  assert.equal(e.detail, `expected ${hex(c)}, got ${hex(c ^ 0x4000)}`);
  assert.equal(e.preview, Array.from(bad.subarray(0, -1), (b) => b.toString(16).padStart(2, '0')).join(' '));
});

test('oversize frames are reported once, when they overflow, and skipped to the next 0x00', () => {
  const sink = recordingSink();
  const framer = new CobsFramer(sink, 'crc16-ccitt', 16);
  const good = frame([1, 2, 3]);
  framer.push(concat([0], good, new Uint8Array(16).fill(9)));
  assert.equal(sink.errors.length, 0);
  framer.push(new Uint8Array([9]));
  assert.equal(sink.errors.length, 1);
  framer.push(new Uint8Array(100).fill(7));
  framer.push(concat([0], good));
  assert.equal(sink.payloads.length, 2);
  assert.equal(sink.errors.length, 1);
  assert.equal(sink.errors[0].kind, 'oversize');
  assert.equal(sink.errors[0].streamOffset, 1 + good.length);
  assert.match(
    sink.errors[0].message,
    /^oversize at byte \d+: frame longer than max_frame_bytes \(16\) \(frame 09 09/,
  );
});

test('a truncated frame, or one too short for its CRC, is truncated; the next frame decodes', () => {
  const sink = recordingSink();
  const framer = new CobsFramer(sink, 'crc16-ccitt', 64);
  const good = frame([1, 2, 3, 4, 5, 6]);
  const cut = good.subarray(0, 4);
  framer.push(concat([0], cut, [0], good, [0x02, 0x11, 0], good));
  assert.equal(sink.payloads.length, 2);
  assert.deepEqual(
    sink.errors.map((e) => [e.kind, e.streamOffset]),
    [
      ['truncated', 1],
      ['truncated', 6 + good.length],
    ],
  );
  assert.match(sink.errors[0].detail, /COBS block runs past the end/);
  assert.match(sink.errors[1].detail, /too short for its CRC/);
});

test('a stream starting mid-frame: the first frame is truncated, the next decodes; reset reports a partial frame', () => {
  const sink = recordingSink();
  const framer = new CobsFramer(sink, 'crc16-ccitt', 64);
  const good = frame([1, 2, 3, 4, 5, 6]);
  framer.push(concat(good.subarray(3), good));
  assert.equal(sink.payloads.length, 1);
  assert.equal(sink.payloads[0].offset, good.length - 3);
  assert.deepEqual(
    sink.errors.map((e) => [e.kind, e.streamOffset]),
    [['truncated', 0]],
  );
  assert.match(sink.errors[0].detail, /^first frame after start or reset is incomplete \(/);
  framer.push(good.subarray(0, 5));
  framer.reset();
  assert.deepEqual([sink.errors[1].kind, sink.errors[1].streamOffset], ['truncated', 2 * good.length - 3]);
  assert.equal(framer.bytesSeen, 0);
  // A stream that starts on a frame boundary decodes from its first frame.
  framer.push(concat(good, good));
  assert.equal(sink.payloads.length, 3);
  assert.equal(sink.errors.length, 2);
  framer.reset();
  framer.push(concat([0], good.subarray(0, 2)));
  framer.reset();
  assert.equal(sink.errors.length, 3);
  assert.equal(sink.errors[2].streamOffset, 1);
});

test('frames pushed one byte at a time decode the same', () => {
  const sink = recordingSink();
  const framer = new CobsFramer(sink, 'crc16-modbus', 64);
  const stream = concat([0], frame([0, 1, 0], 'crc16-modbus'), frame([9, 9, 9, 0], 'crc16-modbus'));
  for (let i = 0; i < stream.length; i++) framer.push(stream.subarray(i, i + 1));
  assert.deepEqual(
    sink.payloads.map((p) => p.bytes),
    [
      [0, 1, 0],
      [9, 9, 9, 0],
    ],
  );
  assert.deepEqual(sink.errors, []);
});
