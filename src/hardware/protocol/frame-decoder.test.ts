import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameLayoutSchema } from '../../config/device-schema.js';
import { AsciiLayoutCodec } from './ascii-layout-codec.js';
import { FieldLayoutCodec } from './field-layout-codec.js';
import { LayoutFrameDecoder } from './frame-decoder.js';
import { LengthPrefixFramer } from './length-prefix-framer.js';
import { LineFramer } from './line-framer.js';
import { ascii, concat, recorder } from './protocol-testing.js';

test('couples a framer and a layout codec: frames to onFrame, problems as FrameErrors at the frame', () => {
  const codec = new AsciiLayoutCodec(
    FrameLayoutSchema.parse({ tag: 'S', fields: [{ name: 'a' }, { name: 'b' }] }),
  );
  const rec = recorder();
  const decoder = new LayoutFrameDecoder((sink) => new LineFramer(sink, 'none', 32), codec, rec);
  decoder.push(ascii('\nS,1,2\nS,1\nS,3,4\nS,'));
  assert.deepEqual(rec.frames, [
    [1, 2],
    [3, 4],
  ]);
  assert.deepEqual(
    rec.errors.map((e) => [e.kind, e.streamOffset]),
    [['field_count', 7]],
  );
  assert.equal(decoder.bytesSeen, 19);
  decoder.reset();
  assert.deepEqual(
    rec.errors.map((e) => [e.kind, e.streamOffset]),
    [
      ['field_count', 7],
      ['truncated', 17],
    ],
  );
  assert.equal(decoder.bytesSeen, 0);
});

test('a bad frame never reaches onFrame and never disturbs the next good one', () => {
  const layout = FrameLayoutSchema.parse({ id: 5, fields: [{ name: 'x', type: 'f64' }] });
  const codec = new FieldLayoutCodec(layout);
  const spec = {
    sync: [0xaa],
    length_bytes: 1,
    length_endian: 'little',
    crc: 'none',
    max_frame_bytes: 16,
  } as const;
  const rec = recorder();
  const decoder = new LayoutFrameDecoder(
    (sink) => new LengthPrefixFramer(sink, { ...spec, sync: [...spec.sync] }),
    codec,
    rec,
  );
  const nan = new Uint8Array(9);
  nan[0] = 5;
  new DataView(nan.buffer).setFloat64(1, NaN, true);
  decoder.push(concat([0xaa, 9], nan, [0xaa, 9], codec.encode([2.5])));
  assert.deepEqual(rec.frames, [[2.5]]);
  assert.deepEqual(
    rec.errors.map((e) => [e.kind, e.streamOffset]),
    [['non_finite', 0]],
  );
});
