/**
 * Fuzz: for each framing, ~200 000 bytes of valid frames mixed with garbage, corrupted,
 * truncated, oversize and foreign (command) frames, pushed in random-size chunks. The decoder
 * must never throw, must report errors in stream order, and must decode every valid frame
 * that was not corrupted (valid frames follow a delimiter, as after any resync).
 *
 * With a CRC-16, a damaged frame passes with probability 2^-16; a truncated length-prefixed
 * frame that passes swallows the start of the next one. Other seeds can hit that (seed 2 does,
 * once in ~1000 truncations); the fixed seed keeps the test deterministic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SerialDevice } from '../../config/device-schema.js';
import { Rng } from '../../math/rng.js';
import { FrameError, type FrameErrorKind } from './frame-error.js';
import {
  concat,
  decodedValues,
  makeDevice,
  pushInChunks,
  randomValues,
  recorder,
  sameValues,
} from './protocol-testing.js';
import { WireProtocol } from './wire-protocol.js';

const SENSOR = {
  id: 0x31,
  tag: 'S',
  fields: [
    { name: 'ticks', type: 'i32' as const },
    { name: 'speed', type: 'i16' as const, endian: 'big' as const, scale: 0.25 },
    { name: 'current', type: 'f32' as const },
    { name: 'flags', type: 'u8' as const },
    { name: 'time', type: 'f64' as const, endian: 'big' as const },
  ],
};
const COMMAND = { id: 0x32, tag: 'C', fields: [{ name: 'pwm', type: 'i16' as const }] };

const FRAMINGS: Record<string, Record<string, unknown>> = {
  'line xor8': { type: 'line', checksum: 'xor8', max_line_bytes: 96 },
  'line crc16-ccitt': { type: 'line', checksum: 'crc16-ccitt', max_line_bytes: 96 },
  'line none': { type: 'line', max_line_bytes: 96 },
  'cobs crc16-ccitt': { type: 'cobs', max_frame_bytes: 48 },
  'cobs none': { type: 'cobs', crc: 'none', max_frame_bytes: 48 },
  'length_prefix aa55/1/ccitt': { type: 'length_prefix', max_frame_bytes: 48 },
  'length_prefix 7e/2be/modbus': {
    type: 'length_prefix',
    sync: [0x7e],
    length_bytes: 2,
    length_endian: 'big',
    crc: 'crc16-modbus',
    max_frame_bytes: 48,
  },
};

const TOTAL_BYTES = 200_000;
// FUZZ_SEED=<n> replays or explores another stream.
const SEED = Number(process.env.FUZZ_SEED ?? 0xf022);

function oversizeJunk(device: SerialDevice, rng: Rng): Uint8Array {
  const f = device.framing;
  if (f.type === 'line') return new Uint8Array(f.max_line_bytes + 1 + rng.integer(200)).fill(0x37);
  if (f.type === 'cobs')
    return new Uint8Array(f.max_frame_bytes + 1 + rng.integer(200)).map(() => 1 + rng.integer(255));
  return new Uint8Array([...f.sync, ...new Array<number>(f.length_bytes).fill(0xff)]);
}

for (const [name, framing] of Object.entries(FRAMINGS)) {
  test(`fuzz ${name}: never throws, reports errors in order, decodes every intact frame`, () => {
    const rng = new Rng(SEED);
    const device = makeDevice(framing, SENSOR, COMMAND);
    const protocol = WireProtocol.forDevice(device);
    const fields = device.sensor_frame.fields;
    const lead = device.framing.type === 'line' ? [0x0a] : device.framing.type === 'cobs' ? [0] : [];
    const integrity =
      device.framing.type === 'line' ? device.framing.checksum !== 'none' : device.framing.crc !== 'none';

    const parts: ArrayLike<number>[] = [];
    const expected: number[][] = [];
    let size = 0;
    let bad = 0;
    const add = (bytes: ArrayLike<number>) => {
      parts.push(bytes);
      size += bytes.length;
    };
    while (size < TOTAL_BYTES) {
      const r = rng.uniform();
      const values = randomValues(rng, fields);
      const frame = protocol.encodeSensor(values);
      if (r < 0.4) {
        add(lead);
        add(frame);
        expected.push(decodedValues(fields, values));
      } else if (r < 0.6) {
        add(new Uint8Array(1 + rng.integer(64)).map(() => rng.integer(256)));
        bad++;
      } else if (r < 0.75) {
        // One byte changed: every checksum here detects that. (Not by 0x20, which may only
        // change the case of a hex checksum digit.)
        const corrupted = frame.slice();
        let flip = 1 + rng.integer(255);
        if (flip === 0x20) flip = 0x21;
        corrupted[rng.integer(corrupted.length)] ^= flip;
        add(corrupted);
        bad++;
      } else if (r < 0.85) {
        // At least one byte short of the delimiter (without only it, the next lead completes it).
        add(frame.subarray(0, 1 + rng.integer(frame.length - 2)));
        bad++;
      } else if (r < 0.9) {
        add(oversizeJunk(device, rng));
        bad++;
      } else {
        add(protocol.encodeCommand([rng.integer(2001) - 1000]));
        bad++;
      }
    }
    const stream = concat(...parts);

    const rec = recorder();
    const decoder = protocol.sensorDecoder(rec);
    pushInChunks(decoder, stream, rng, 256);
    decoder.reset();

    // Each intact frame must appear, in order; a miss does not hide the frames after it.
    let missed = 0;
    let next = 0;
    for (const want of expected) {
      let k = next;
      while (k < rec.frames.length && k < next + 16 && !sameValues(rec.frames[k], want)) k++;
      if (k < rec.frames.length && sameValues(rec.frames[k], want)) next = k + 1;
      else missed++;
    }
    assert.equal(missed, 0, `${missed} of ${expected.length} intact frames not decoded`);
    if (integrity) assert.equal(rec.frames.length, expected.length, 'no corrupted frame accepted');

    assert.ok(rec.errors.length >= bad / 4, `${rec.errors.length} errors for ${bad} bad segments`);
    const kinds = new Set<FrameErrorKind>();
    let last = 0;
    for (const e of rec.errors) {
      assert.ok(e instanceof FrameError);
      assert.ok(e.streamOffset >= last && e.streamOffset < stream.length, e.message);
      last = e.streamOffset;
      kinds.add(e.kind);
    }
    assert.ok(kinds.has('oversize') && (kinds.has('unknown_id') || kinds.has('checksum')), [...kinds].join());
  });
}
