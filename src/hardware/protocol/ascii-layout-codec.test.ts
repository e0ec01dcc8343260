import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameLayoutSchema } from '../../config/device-schema.js';
import { Rng } from '../../math/rng.js';
import { AsciiLayoutCodec } from './ascii-layout-codec.js';
import { ascii, decodedValues, everyFieldType, randomValues, sameValues } from './protocol-testing.js';

const codecOf = (input: unknown) => new AsciiLayoutCodec(FrameLayoutSchema.parse(input));

function decode(codec: AsciiLayoutCodec, line: string) {
  const out = new Float64Array(codec.fieldCount);
  const bytes = ascii(line);
  const problem = codec.decode(bytes, 0, bytes.length, out);
  return problem ?? Array.from(out);
}

const S = codecOf({
  tag: 'S',
  fields: [
    { name: 'ticks', type: 'i32' },
    { name: 'speed', type: 'f32', scale: 0.5 },
    { name: 'duty', type: 'u8' },
  ],
});

test('parses integers and decimal numbers, tolerating spaces, applying scale', () => {
  assert.deepEqual(decode(S, 'S,-12,1.5,255'), [-12, 0.75, 255]);
  assert.deepEqual(decode(S, 'S, +7 ,\t-.5e1 , 0'), [7, -2.5, 0]);
  assert.deepEqual(decode(S, 'S,0,1.,007'), [0, 0.5, 7]);
  assert.deepEqual(decode(S, 'S,1,0.1,1'), [1, Math.fround(0.1) * 0.5, 1]);
});

test('rejects a wrong tag, a wrong field count, non-finite and malformed numbers', () => {
  assert.deepEqual(decode(S, 'T,1,2,3'), { kind: 'unknown_id', detail: 'expected tag "S", got "T"' });
  assert.equal((decode(S, 'SX,1,2,3') as { kind: string }).kind, 'unknown_id');
  assert.deepEqual(decode(S, 'S,1,2'), { kind: 'field_count', detail: 'expected 3 fields, got 2' });
  assert.deepEqual(decode(S, 'S'), { kind: 'field_count', detail: 'expected 3 fields, got 0' });
  assert.deepEqual(decode(S, 'S,1,2,3,4'), { kind: 'field_count', detail: 'expected 3 fields, got 4' });
  for (const word of ['nan', 'NaN', 'inf', '-Infinity', '+INF']) {
    assert.deepEqual(decode(S, `S,1,${word},3`), {
      kind: 'non_finite',
      detail: `field speed (#2): "${word}" is not finite`,
    });
  }
  assert.equal((decode(S, 'S,nan,1,3') as { kind: string }).kind, 'non_finite');
  assert.deepEqual(decode(S, 'S,1,1e39,3'), {
    kind: 'non_finite',
    detail: 'field speed (#2): "1e39" overflows f32',
  });
  assert.deepEqual(decode(S, 'S,1.5,1,3'), {
    kind: 'bad_number',
    detail: 'field ticks (#1): "1.5" is not an integer',
  });
  assert.deepEqual(decode(S, 'S,1,1,256'), {
    kind: 'bad_number',
    detail: 'field duty (#3): "256" is out of range for u8',
  });
  for (const junk of ['', ' ', 'abc', '1e', '0x10', '1.2.3', '--1', '.', 'e5', '1 2']) {
    assert.equal((decode(S, `S,1,${junk},3`) as { kind: string }).kind, 'bad_number', JSON.stringify(junk));
  }
  assert.equal((decode(S, 'S,-,1,3') as { kind: string }).kind, 'bad_number');
  assert.equal((decode(S, 'S,99999999999999999999,1,3') as { kind: string }).kind, 'bad_number');
});

test('a layout without tag reads bare values', () => {
  const bare = codecOf({ fields: [{ name: 'a', type: 'i8' }, { name: 'b' }] });
  assert.deepEqual(decode(bare, '-128,2.25'), [-128, 2.25]);
  assert.equal(bare.encode([1, 2]), '1,2');
});

test('encodes the shortest text that reads back to the same wire value', () => {
  assert.equal(S.encode([3, 0.05, 1]), 'S,3,0.1,1');
  assert.equal(S.encode([-0.4, 1e30, 254.5]), 'S,0,2e+30,255');
  const f64 = codecOf({ tag: 'D', fields: [{ name: 'x', type: 'f64' }] });
  assert.equal(f64.encode([0.1]), 'D,0.1');
  assert.throws(() => S.encode([0, 0, 256]), /field duty: value 256 \(wire 256\) does not fit u8/);
  assert.throws(() => S.encode([0, NaN, 0]), /field speed: value NaN is not finite/);
  assert.throws(() => S.encode([0, 1e39, 0]), /field speed: value 1e\+39 overflows f32/);
  assert.throws(() => S.encode([0, 0]), RangeError);
});

test('round trips random values for every field type', () => {
  const rng = new Rng(12);
  const layout = FrameLayoutSchema.parse({ tag: 'ALL', fields: everyFieldType() });
  const codec = new AsciiLayoutCodec(layout);
  const out = new Float64Array(codec.fieldCount);
  for (let t = 0; t < 2000; t++) {
    const values = randomValues(rng, layout.fields);
    const bytes = ascii(codec.encode(values));
    assert.equal(codec.decode(bytes, 0, bytes.length, out), undefined);
    assert.ok(sameValues(out, decodedValues(layout.fields, values)), `${values} -> ${out}`);
  }
});
