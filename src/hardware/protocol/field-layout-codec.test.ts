import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameLayoutSchema } from '../../config/device-schema.js';
import { Rng } from '../../math/rng.js';
import { FieldLayoutCodec } from './field-layout-codec.js';
import { decodedValues, everyFieldType, randomValues, sameValues } from './protocol-testing.js';

const layout = (input: unknown) => FrameLayoutSchema.parse(input);

test('round trips random values for every type and byte order, with and without an id', () => {
  const rng = new Rng(11);
  for (const id of [undefined, 0x42]) {
    const l = layout({ id, fields: everyFieldType() });
    const codec = new FieldLayoutCodec(l);
    assert.equal(codec.payloadLength, (id === undefined ? 0 : 1) + 2 * (1 + 1 + 2 + 2 + 4 + 4 + 4 + 8));
    const out = new Float64Array(codec.fieldCount);
    for (let t = 0; t < 2000; t++) {
      const values = randomValues(rng, l.fields);
      const payload = codec.encode(values);
      if (id !== undefined) assert.equal(payload[0], id);
      assert.equal(codec.decode(payload, 0, payload.length, out), undefined);
      assert.ok(sameValues(out, decodedValues(l.fields, values)), `${values} -> ${out}`);
    }
  }
});

test('byte order and scale on the wire', () => {
  const codec = new FieldLayoutCodec(
    layout({
      id: 7,
      fields: [
        { name: 'a', type: 'i16', endian: 'big' },
        { name: 'b', type: 'i16' },
        { name: 'c', type: 'u32', endian: 'big', scale: 0.5 },
        { name: 'd', type: 'f32', endian: 'big' },
      ],
    }),
  );
  const bytes = codec.encode([0x1234, -2, 10, 1]);
  assert.deepEqual(Array.from(bytes), [7, 0x12, 0x34, 0xfe, 0xff, 0, 0, 0, 20, 0x3f, 0x80, 0, 0]);
  const padded = new Uint8Array([9, 9, ...bytes, 9]);
  const out = new Float64Array(4);
  assert.equal(codec.decode(padded, 2, 2 + bytes.length, out), undefined);
  assert.deepEqual(Array.from(out), [0x1234, -2, 10, 1]);
});

test('encoding rounds to the nearest wire integer and refuses what does not fit, naming the field', () => {
  const codec = new FieldLayoutCodec(
    layout({
      fields: [
        { name: 'pwm', type: 'i16', scale: 0.1 },
        { name: 'flag', type: 'u8' },
        { name: 'x', type: 'f32' },
      ],
    }),
  );
  const out = new Float64Array(3);
  const bytes = codec.encode([1.26, 254.6, 0.1]);
  codec.decode(bytes, 0, bytes.length, out);
  assert.equal(out[0], 13 * 0.1);
  assert.equal(out[1], 255);
  assert.equal(out[2], Math.fround(0.1));
  assert.throws(
    () => codec.encode([3276.8, 0, 0]),
    /field pwm: value 3276.8 \(wire 32768\) does not fit i16/,
  );
  assert.throws(
    () => codec.encode([0, -1, 0]),
    (e) => e instanceof RangeError && /field flag/.test(e.message),
  );
  assert.throws(() => codec.encode([NaN, 0, 0]), /field pwm: value NaN/);
  assert.throws(() => codec.encode([0, 0, Infinity]), /field x: value Infinity is not finite/);
  assert.throws(() => codec.encode([0, 0, 1e39]), /field x: value 1e\+39 is not finite as f32/);
  assert.throws(() => codec.encode([0, 0]), /expected 3 values \(pwm, flag, x\), got 2/);
});

test('decode reports unknown id before length, then field count, then non-finite values', () => {
  const codec = new FieldLayoutCodec(
    layout({
      id: 1,
      fields: [
        { name: 'a', type: 'f32' },
        { name: 'b', type: 'f64', endian: 'big' },
      ],
    }),
  );
  const out = new Float64Array(2);
  const good = codec.encode([1, 2]);
  assert.deepEqual(codec.decode(new Uint8Array([2, 0, 0]), 0, 3, out), {
    kind: 'unknown_id',
    detail: 'expected id 0x01, got 0x02',
  });
  assert.deepEqual(codec.decode(good, 0, good.length - 1, out), {
    kind: 'field_count',
    detail: 'expected 2 fields (13 bytes), got 12 bytes',
  });
  assert.equal(codec.decode(good, 0, 0, out)?.kind, 'field_count');
  const nan = good.slice();
  new DataView(nan.buffer).setFloat32(1, NaN, true);
  assert.deepEqual(codec.decode(nan, 0, nan.length, out), {
    kind: 'non_finite',
    detail: 'field a (#1) is NaN',
  });
  const inf = good.slice();
  new DataView(inf.buffer).setFloat64(5, -Infinity, false);
  assert.deepEqual(codec.decode(inf, 0, inf.length, out), {
    kind: 'non_finite',
    detail: 'field b (#2) is -Infinity',
  });
});
