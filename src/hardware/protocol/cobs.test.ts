import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../math/rng.js';
import { cobsDecode, cobsDecodeInto, cobsEncode, cobsMaxEncodedLength } from './cobs.js';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// The examples of the Wikipedia article on COBS (encoded forms without the 0x00 delimiter).
const VECTORS: [number[], number[]][] = [
  [[0x00], [0x01, 0x01]],
  [
    [0x00, 0x00],
    [0x01, 0x01, 0x01],
  ],
  [
    [0x00, 0x11, 0x00],
    [0x01, 0x02, 0x11, 0x01],
  ],
  [
    [0x11, 0x22, 0x00, 0x33],
    [0x03, 0x11, 0x22, 0x02, 0x33],
  ],
  [
    [0x11, 0x22, 0x33, 0x44],
    [0x05, 0x11, 0x22, 0x33, 0x44],
  ],
  [
    [0x11, 0x00, 0x00, 0x00],
    [0x02, 0x11, 0x01, 0x01, 0x01],
  ],
  [range(0x01, 0xfe), [0xff, ...range(0x01, 0xfe)]],
  [range(0x00, 0xfe), [0x01, 0xff, ...range(0x01, 0xfe)]],
  [range(0x01, 0xff), [0xff, ...range(0x01, 0xfe), 0x02, 0xff]],
  [
    [...range(0x02, 0xff), 0x00],
    [0xff, ...range(0x02, 0xff), 0x01, 0x01],
  ],
  [
    [...range(0x03, 0xff), 0x00, 0x01],
    [0xfe, ...range(0x03, 0xff), 0x02, 0x01],
  ],
];

test('encodes and decodes the reference examples', () => {
  for (const [raw, encoded] of VECTORS) {
    assert.deepEqual(Array.from(cobsEncode(new Uint8Array(raw))), encoded, `encode ${raw.length} bytes`);
    assert.deepEqual(Array.from(cobsDecode(new Uint8Array(encoded))), raw, `decode ${encoded.length} bytes`);
  }
});

test('empty input encodes to a single 0x01', () => {
  assert.deepEqual(Array.from(cobsEncode(new Uint8Array(0))), [0x01]);
  assert.deepEqual(Array.from(cobsDecode(new Uint8Array([0x01]))), []);
  assert.deepEqual(Array.from(cobsDecode(new Uint8Array(0))), []);
});

test('round trips runs of 253..256, 508..510 non-zero bytes, with and without zeros around them', () => {
  for (const n of [1, 253, 254, 255, 256, 507, 508, 509, 510, 1000]) {
    const run = Array.from({ length: n }, (_, i) => (i % 255) + 1);
    for (const data of [run, [0, ...run], [...run, 0], [0, ...run, 0, 0], [...run, 0, ...run]]) {
      const raw = new Uint8Array(data);
      const enc = cobsEncode(raw);
      assert.ok(!enc.includes(0), 'no zero in the encoding');
      assert.ok(enc.length <= cobsMaxEncodedLength(raw.length));
      assert.deepEqual(cobsDecode(enc), raw, `n=${n}`);
    }
  }
});

test('round trips all-zero and random data (zero-heavy and zero-free)', () => {
  for (const n of [1, 2, 254, 255, 600])
    assert.deepEqual(cobsDecode(cobsEncode(new Uint8Array(n))), new Uint8Array(n));
  const rng = new Rng(5);
  for (let t = 0; t < 2000; t++) {
    const n = rng.integer(700);
    const zeroRate = [0, 0.01, 0.5][t % 3];
    const raw = new Uint8Array(n).map(() => (rng.uniform() < zeroRate ? 0 : 1 + rng.integer(255)));
    const enc = cobsEncode(raw);
    assert.ok(!enc.includes(0));
    assert.ok(enc.length <= cobsMaxEncodedLength(n));
    assert.deepEqual(cobsDecode(enc), raw);
  }
});

test('decodes a final 0xFF block followed by the paper-style empty 0x01 block', () => {
  const raw = range(0x01, 0xfe);
  assert.deepEqual(Array.from(cobsDecode(new Uint8Array([0xff, ...raw, 0x01]))), raw);
});

test('rejects a code byte pointing past the end and a zero inside the data', () => {
  assert.equal(cobsDecodeInto(new Uint8Array([0x05, 1, 2, 3]), 0, 4, new Uint8Array(8), 0), -1);
  assert.equal(cobsDecodeInto(new Uint8Array([0x03, 1, 0]), 0, 3, new Uint8Array(8), 0), -1);
  assert.equal(cobsDecodeInto(new Uint8Array([0x02, 1, 0x00, 0x01]), 0, 4, new Uint8Array(8), 0), -1);
  assert.throws(() => cobsDecode(new Uint8Array([0x04, 1])), RangeError);
});

test('decodes in place and from a sub-range', () => {
  const raw = new Uint8Array([5, 0, 0, 7, 8, 0, 9]);
  const enc = cobsEncode(raw);
  const buf = new Uint8Array([0xaa, ...enc, 0xbb]);
  const n = cobsDecodeInto(buf, 1, 1 + enc.length, buf, 0);
  assert.deepEqual(buf.slice(0, n), raw);
});
