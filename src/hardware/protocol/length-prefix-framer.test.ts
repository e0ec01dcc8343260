import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc16 } from './crc16.js';
import { recordingSink } from './framer-testing.js';
import {
  LengthPrefixFramer,
  encodeLengthPrefixFrame,
  type LengthPrefixSpec,
} from './length-prefix-framer.js';
import { concat } from './protocol-testing.js';

const SPEC: LengthPrefixSpec = {
  sync: [0xaa, 0x55],
  length_bytes: 1,
  length_endian: 'little',
  crc: 'crc16-ccitt',
  max_frame_bytes: 32,
};

const frame = (payload: number[], spec = SPEC) =>
  encodeLengthPrefixFrame(new Uint8Array(payload), 0, payload.length, spec);

test('frame layout: sync, length, payload, CRC (over length + payload) little-endian', () => {
  const bytes = frame([1, 2, 3]);
  const c = crc16('crc16-ccitt', new Uint8Array([3, 1, 2, 3]));
  assert.deepEqual(Array.from(bytes), [0xaa, 0x55, 3, 1, 2, 3, c & 0xff, c >>> 8]);
  const wide: LengthPrefixSpec = {
    ...SPEC,
    sync: [0x7e],
    length_bytes: 2,
    length_endian: 'big',
    crc: 'none',
  };
  assert.deepEqual(Array.from(frame([9], wide)), [0x7e, 0, 1, 9]);
  assert.deepEqual(Array.from(frame([9], { ...wide, length_endian: 'little' })), [0x7e, 1, 0, 9]);
  assert.throws(() => encodeLengthPrefixFrame(new Uint8Array(256), 0, 256, SPEC), RangeError);
});

test('decodes back-to-back frames and reports their offsets, for 1- and 2-byte lengths', () => {
  const specs: LengthPrefixSpec[] = [
    SPEC,
    { ...SPEC, sync: [0x7e], length_bytes: 2, length_endian: 'big', crc: 'crc16-modbus' },
    { ...SPEC, sync: [1, 2, 3, 4], length_bytes: 2, crc: 'none' },
  ];
  for (const spec of specs) {
    const sink = recordingSink();
    const framer = new LengthPrefixFramer(sink, spec);
    const a = frame([1, 2, 3], spec);
    const b = frame([0xaa, 0x55, 0x7e], spec);
    const c = frame([], spec);
    framer.push(concat(a, b, c));
    assert.deepEqual(
      sink.payloads.map((p) => [p.bytes, p.offset]),
      [
        [[1, 2, 3], 0],
        [[0xaa, 0x55, 0x7e], a.length],
        [[], a.length + b.length],
      ],
    );
    assert.deepEqual(sink.errors, []);
  }
});

test('garbage before and between frames is reported once per run; every frame is found', () => {
  const sink = recordingSink();
  const framer = new LengthPrefixFramer(sink, SPEC);
  const f = frame([1, 2, 3, 4]);
  const junk = [0x00, 0xaa, 0xaa, 0x13, 0x55];
  framer.push(concat(junk, f, junk, junk, f, [0xaa]));
  framer.push(concat([0xaa], f));
  assert.equal(sink.payloads.length, 3);
  assert.deepEqual(
    sink.payloads.map((p) => p.offset),
    [5, 5 + f.length + 10, 5 + 2 * f.length + 12],
  );
  assert.deepEqual(
    sink.errors.map((e) => [e.kind, e.streamOffset, e.detail]),
    [
      ['garbage', 0, '5 bytes skipped looking for sync aa 55'],
      ['garbage', 5 + f.length, '10 bytes skipped looking for sync aa 55'],
      ['garbage', 5 + 2 * f.length + 10, '2 bytes skipped looking for sync aa 55'],
    ],
  );
  assert.equal(sink.errors[0].preview, '00 aa aa 13 55');
});

test('a bad CRC resynchronises one byte after the failed sync: a frame inside it is found', () => {
  const sink = recordingSink();
  const framer = new LengthPrefixFramer(sink, SPEC);
  const f = frame([1, 2, 3, 4]);
  // A truncated frame (header claims 20 bytes of payload) swallowing the real frame after it.
  const cut = [0xaa, 0x55, 20, 9, 9];
  framer.push(concat(cut, f, new Uint8Array(20)));
  assert.equal(sink.payloads.length, 1);
  assert.equal(sink.payloads[0].offset, 5);
  assert.equal(sink.errors[0].kind, 'checksum');
  assert.equal(sink.errors[0].streamOffset, 0);
  assert.match(
    sink.errors[0].message,
    /^checksum mismatch at byte 0: expected 0x[0-9A-F]{4}, got 0x[0-9A-F]{4} \(frame aa 55 14 09 09/,
  );
  // Bytes inside the failed frame are not reported again, but its claim ends at the real frame:
  // the zeros after that are garbage.
  assert.equal(sink.errors.length, 1);
  framer.push(f);
  assert.deepEqual(
    sink.errors.slice(1).map((e) => [e.kind, e.streamOffset]),
    [['garbage', 5 + f.length]],
  );
  assert.equal(sink.payloads.length, 2);
});

test('an impossible length is oversize; the search resumes right after the sync byte', () => {
  const sink = recordingSink();
  const framer = new LengthPrefixFramer(sink, SPEC);
  const f = frame([7]);
  framer.push(concat([0xaa, 0x55, 200], f));
  assert.equal(sink.payloads.length, 1);
  assert.deepEqual(
    sink.errors.map((e) => [e.kind, e.streamOffset]),
    [['oversize', 0]],
  );
  assert.match(
    sink.errors[0].detail,
    /length field says 200 bytes, a frame of 205 bytes, more than max_frame_bytes \(32\)/,
  );
});

test('payload problems are reported at the frame start; reset reports a partial frame once', () => {
  const sink = recordingSink((p) => (p[0] === 1 ? undefined : { kind: 'unknown_id', detail: 'x' }));
  const framer = new LengthPrefixFramer(sink, SPEC);
  const good = frame([1, 2]);
  const other = frame([2, 2]);
  framer.push(concat(other, good, good.subarray(0, 4)));
  assert.deepEqual(
    sink.errors.map((e) => [e.kind, e.streamOffset]),
    [['unknown_id', 0]],
  );
  framer.reset();
  assert.deepEqual(
    sink.errors.map((e) => [e.kind, e.streamOffset]),
    [
      ['unknown_id', 0],
      ['truncated', 2 * good.length],
    ],
  );
  assert.equal(framer.bytesSeen, 0);
  framer.reset();
  assert.equal(sink.errors.length, 2);
  framer.push(concat([5, 5], good));
  assert.equal(sink.payloads.length, 2);
  assert.equal(sink.payloads[1].offset, 2);
});

test('long garbage is reported in runs of at most 256 bytes; byte-wise pushes decode the same', () => {
  const sink = recordingSink();
  const framer = new LengthPrefixFramer(sink, SPEC);
  const f = frame([3, 1, 4, 1, 5]);
  const stream = concat(new Uint8Array(600).fill(0x11), f, f);
  for (let i = 0; i < stream.length; i++) framer.push(stream.subarray(i, i + 1));
  assert.deepEqual(
    sink.errors.map((e) => [e.kind, e.streamOffset]),
    [
      ['garbage', 0],
      ['garbage', 256],
      ['garbage', 512],
    ],
  );
  assert.deepEqual(
    sink.payloads.map((p) => p.offset),
    [600, 600 + f.length],
  );
});
