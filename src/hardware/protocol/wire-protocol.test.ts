import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { SerialDeviceSchema, type SerialDevice } from '../../config/device-schema.js';
import { Rng } from '../../math/rng.js';
import { cobsEncode } from './cobs.js';
import { encodeCobsFrame } from './cobs-framer.js';
import { crcByteLength } from './crc16.js';
import { FrameError } from './frame-error.js';
import { encodeLengthPrefixFrame } from './length-prefix-framer.js';
import {
  ascii,
  concat,
  decodedValues,
  everyFieldType,
  makeDevice,
  pushInChunks,
  randomValues,
  recorder,
  sameValues,
} from './protocol-testing.js';
import { WireProtocol } from './wire-protocol.js';

const FRAMINGS: Record<string, Record<string, unknown>> = {
  'line none': { type: 'line', max_line_bytes: 1024 },
  'line xor8': { type: 'line', checksum: 'xor8', max_line_bytes: 1024 },
  'line crc16-ccitt': { type: 'line', checksum: 'crc16-ccitt', max_line_bytes: 1024 },
  'cobs crc16-ccitt': { type: 'cobs', max_frame_bytes: 256 },
  'cobs crc16-modbus': { type: 'cobs', crc: 'crc16-modbus', max_frame_bytes: 256 },
  'cobs none': { type: 'cobs', crc: 'none', max_frame_bytes: 256 },
  'length_prefix aa55/1/ccitt': { type: 'length_prefix', max_frame_bytes: 256 },
  'length_prefix 7e/2be/modbus': {
    type: 'length_prefix',
    sync: [0x7e],
    length_bytes: 2,
    length_endian: 'big',
    crc: 'crc16-modbus',
    max_frame_bytes: 512,
  },
  'length_prefix 3-byte sync/2le/none': {
    type: 'length_prefix',
    sync: [0xfa, 0xce, 0x42],
    length_bytes: 2,
    crc: 'none',
    max_frame_bytes: 256,
  },
};

const COMMAND = {
  id: 0x32,
  tag: 'C',
  fields: [
    { name: 'pwm', type: 'i16' as const },
    { name: 'x', type: 'f32' as const, endian: 'big' as const, scale: 0.01 },
  ],
};

const allTypesDevice = (framing: Record<string, unknown>) =>
  makeDevice(framing, { id: 0x31, tag: 'S', fields: everyFieldType() }, COMMAND);

/** Bytes that end any frame in progress, so what follows starts cleanly. */
function delimiter(device: SerialDevice): number[] {
  return device.framing.type === 'line' ? [0x0a] : device.framing.type === 'cobs' ? [0] : [];
}

const hasIntegrity = (device: SerialDevice) =>
  device.framing.type === 'line' ? device.framing.checksum !== 'none' : device.framing.crc !== 'none';

/** Whether expected is a subsequence of actual (frames compared with ===). */
function containsInOrder(actual: number[][], expected: number[][]): boolean {
  let i = 0;
  for (const frame of actual) if (i < expected.length && sameValues(frame, expected[i])) i++;
  return i === expected.length;
}

for (const [name, framing] of Object.entries(FRAMINGS)) {
  test(`${name}: random sensor and command frames of every field type round trip`, () => {
    const rng = new Rng(21);
    const device = allTypesDevice(framing);
    const protocol = WireProtocol.forDevice(device);
    assert.equal(protocol.sensorFieldCount, 16);
    assert.equal(protocol.commandFieldCount, 2);
    for (const side of ['sensor', 'command'] as const) {
      const fields = side === 'sensor' ? device.sensor_frame.fields : device.command_frame.fields;
      const rec = recorder();
      const decoder = side === 'sensor' ? protocol.sensorDecoder(rec) : protocol.commandDecoder(rec);
      const expected: number[][] = [];
      const parts: Uint8Array[] = [];
      for (let k = 0; k < 300; k++) {
        const values = randomValues(rng, fields);
        parts.push(side === 'sensor' ? protocol.encodeSensor(values) : protocol.encodeCommand(values));
        expected.push(decodedValues(fields, values));
      }
      const stream = concat(...parts);
      pushInChunks(decoder, stream, rng, 64);
      assert.deepEqual(rec.errors, []);
      assert.equal(rec.frames.length, expected.length);
      for (let k = 0; k < expected.length; k++)
        assert.ok(sameValues(rec.frames[k], expected[k]), `frame ${k}`);
      assert.equal(decoder.bytesSeen, stream.length);
    }
  });

  test(`${name}: frames split into 1-byte pushes decode`, () => {
    const rng = new Rng(22);
    const device = allTypesDevice(framing);
    const protocol = WireProtocol.forDevice(device);
    const rec = recorder();
    const decoder = protocol.sensorDecoder(rec);
    const expected: number[][] = [];
    for (let k = 0; k < 5; k++) {
      const values = randomValues(rng, device.sensor_frame.fields);
      expected.push(decodedValues(device.sensor_frame.fields, values));
      const bytes = protocol.encodeSensor(values);
      for (let i = 0; i < bytes.length; i++) decoder.push(bytes.subarray(i, i + 1));
    }
    assert.deepEqual(rec.errors, []);
    assert.ok(containsInOrder(rec.frames, expected) && rec.frames.length === 5);
  });

  test(`${name}: garbage before the first frame and between frames still yields every frame`, () => {
    const rng = new Rng(23);
    const device = allTypesDevice(framing);
    const protocol = WireProtocol.forDevice(device);
    const parts: ArrayLike<number>[] = [];
    const expected: number[][] = [];
    for (let k = 0; k < 100; k++) {
      const junk = new Uint8Array(1 + rng.integer(80)).map(() => rng.integer(256));
      parts.push(junk, delimiter(device));
      const values = randomValues(rng, device.sensor_frame.fields);
      parts.push(protocol.encodeSensor(values));
      expected.push(decodedValues(device.sensor_frame.fields, values));
    }
    const rec = recorder();
    pushInChunks(protocol.sensorDecoder(rec), concat(...parts), rng, 100);
    assert.ok(containsInOrder(rec.frames, expected), 'every real frame decoded, in order');
    if (hasIntegrity(device)) assert.equal(rec.frames.length, expected.length, 'no junk frame accepted');
    assert.ok(rec.errors.length > 0);
    assert.equal(rec.errors[0].streamOffset, 0, 'garbage before the first frame reported at byte 0');
    for (const e of rec.errors) assert.ok(e instanceof FrameError);
  });

  test(`${name}: a stream that starts mid-frame reports it and decodes the next frame; reset reports a partial frame`, () => {
    const device = makeDevice(framing, SMALL, COMMAND);
    const protocol = WireProtocol.forDevice(device);
    const good = protocol.encodeSensor([1, 2, 3]);
    const rec = recorder();
    const decoder = protocol.sensorDecoder(rec);
    decoder.push(concat(good.subarray(4), good));
    assert.deepEqual(rec.frames, [[1, 2, 3]]);
    assert.equal(rec.errors.length, 1);
    assert.ok(['truncated', 'garbage'].includes(rec.errors[0].kind), rec.errors[0].message);
    assert.equal(rec.errors[0].streamOffset, 0);
    decoder.push(good.subarray(0, 5));
    decoder.reset();
    assert.equal(decoder.bytesSeen, 0);
    assert.equal(rec.errors.length, 2);
    assert.equal(rec.errors[1].kind, 'truncated');
    assert.equal(rec.errors[1].streamOffset, 2 * good.length - 4);
    decoder.push(concat(good, good));
    assert.equal(rec.frames.length, 3);
    assert.equal(rec.errors.length, 2);
  });
}

const SMALL = {
  id: 0x31,
  tag: 'S',
  fields: [
    { name: 'a', type: 'i16' as const },
    { name: 'b', type: 'f32' as const },
    { name: 'c', type: 'u8' as const, scale: 0.5 },
  ],
};

/** A binary frame for an arbitrary payload under the device's framing (CRC computed). */
function binaryFrame(device: SerialDevice, payload: number[]): Uint8Array {
  const framing = device.framing;
  if (framing.type === 'cobs') {
    const buffer = new Uint8Array(payload.length + 2);
    buffer.set(payload);
    return encodeCobsFrame(buffer, payload.length, framing.crc);
  }
  if (framing.type === 'length_prefix') {
    return encodeLengthPrefixFrame(new Uint8Array(payload), 0, payload.length, framing);
  }
  throw new Error('binary framings only');
}

function f32Bytes(x: number): number[] {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, x, true);
  return Array.from(b);
}

type Case = { name: string; bad: Uint8Array; kind: string; detail?: RegExp };

function binaryCases(device: SerialDevice): Case[] {
  const good = [0x31, 1, 0, ...f32Bytes(2), 6];
  const framing = device.framing;
  const cases: Case[] = [
    { name: 'wrong field count', bad: binaryFrame(device, good.slice(0, -1)), kind: 'field_count' },
    { name: 'NaN', bad: binaryFrame(device, [0x31, 1, 0, ...f32Bytes(NaN), 6]), kind: 'non_finite' },
    { name: 'Inf', bad: binaryFrame(device, [0x31, 1, 0, ...f32Bytes(-Infinity), 6]), kind: 'non_finite' },
    { name: 'unknown id', bad: binaryFrame(device, [0x99, ...good.slice(1)]), kind: 'unknown_id' },
  ];
  if (framing.type === 'cobs') {
    const badCrc = [...good, 0x12, 0x34];
    cases.push(
      { name: 'bad CRC', bad: concat(cobsEncode(new Uint8Array(badCrc)), [0]), kind: 'checksum' },
      { name: 'oversize', bad: concat(new Uint8Array(65).fill(7), [0]), kind: 'oversize' },
      {
        name: 'truncated',
        bad: concat(binaryFrame(device, good).subarray(0, -3), [0]),
        kind: 'truncated',
        detail: /COBS block runs past the end/,
      },
    );
  } else if (framing.type === 'length_prefix') {
    const badCrc = binaryFrame(device, good);
    badCrc[badCrc.length - 1] ^= 0x80;
    const header = [...framing.sync, 250];
    cases.push(
      { name: 'bad CRC', bad: badCrc, kind: 'checksum' },
      { name: 'impossible length', bad: new Uint8Array(header), kind: 'oversize' },
      // The truncated frame's claimed extent runs into the next frame: its CRC fails.
      { name: 'truncated', bad: binaryFrame(device, good).subarray(0, 7), kind: 'checksum' },
    );
  }
  return cases;
}

function lineCases(checksum: 'none' | 'xor8'): Case[] {
  const line = (text: string) => {
    if (checksum === 'none') return ascii(`${text}\n`);
    let x = 0;
    for (const b of ascii(text)) x ^= b;
    return ascii(`${text}*${x.toString(16).toUpperCase().padStart(2, '0')}\n`);
  };
  const cases: Case[] = [
    {
      name: 'wrong field count',
      bad: line('S,1,2'),
      kind: 'field_count',
      detail: /^expected 3 fields, got 2$/,
    },
    { name: 'nan', bad: line('S,1,nan,6'), kind: 'non_finite' },
    { name: 'inf', bad: line('S,1,-inf,6'), kind: 'non_finite' },
    { name: 'bad number', bad: line('S,1,2,x'), kind: 'bad_number' },
    { name: 'out of range', bad: line('S,40000,2,6'), kind: 'bad_number' },
    { name: 'unknown tag', bad: line('T,1,2,6'), kind: 'unknown_id', detail: /expected tag "S", got "T"/ },
    { name: 'oversize line', bad: ascii(`S,${'1'.repeat(70)}\n`), kind: 'oversize' },
  ];
  if (checksum === 'xor8') {
    cases.push(
      {
        name: 'bad checksum',
        bad: ascii('S,1,2,6*00\n'),
        kind: 'checksum',
        detail: /^expected 0x[0-9A-F]{2}, got 0x00$/,
      },
      { name: 'missing checksum', bad: ascii('S,1,2,6\n'), kind: 'checksum' },
    );
  }
  return cases;
}

const ERROR_FRAMINGS: Record<string, Record<string, unknown>> = {
  'line none': { type: 'line', max_line_bytes: 64 },
  'line xor8': { type: 'line', checksum: 'xor8', max_line_bytes: 64 },
  cobs: { type: 'cobs', max_frame_bytes: 64 },
  'cobs modbus': { type: 'cobs', crc: 'crc16-modbus', max_frame_bytes: 64 },
  length_prefix: { type: 'length_prefix', max_frame_bytes: 64 },
  'length_prefix 2-byte big': {
    type: 'length_prefix',
    length_bytes: 2,
    length_endian: 'big',
    max_frame_bytes: 64,
  },
};

for (const [name, framing] of Object.entries(ERROR_FRAMINGS)) {
  test(`${name}: each bad frame gives its kind at its stream offset and the next good frame decodes`, () => {
    const device = makeDevice(framing, SMALL, COMMAND);
    const protocol = WireProtocol.forDevice(device);
    const good = protocol.encodeSensor([1, 2, 3]);
    const cases =
      device.framing.type === 'line'
        ? lineCases(device.framing.checksum === 'xor8' ? 'xor8' : 'none')
        : binaryCases(device);
    for (const c of cases) {
      const rec = recorder();
      const decoder = protocol.sensorDecoder(rec);
      decoder.push(concat(good, c.bad, good));
      assert.deepEqual(
        rec.frames,
        [
          [1, 2, 3],
          [1, 2, 3],
        ],
        c.name,
      );
      assert.deepEqual(
        rec.errors.map((e) => [e.kind, e.streamOffset]),
        [[c.kind, good.length]],
        c.name,
      );
      const e = rec.errors[0];
      assert.ok(
        e.message.startsWith(`${e.message.split(' at byte ')[0]} at byte ${good.length}: ${e.detail}`),
      );
      if (c.detail) assert.match(e.detail, c.detail, c.name);
      assert.ok(e.preview.length > 0);
    }
  });
}

test('line checksum error message names expected and received checksum and quotes the line', () => {
  const device = makeDevice({ type: 'line', checksum: 'xor8' }, SMALL, COMMAND);
  const protocol = WireProtocol.forDevice(device);
  const good = protocol.encodeSensor([1, 2, 3]);
  assert.equal(new TextDecoder().decode(good), 'S,1,2,6*4A\n');
  const rec = recorder();
  protocol.sensorDecoder(rec).push(concat(good, ascii('S,1,2,6*1F\n')));
  assert.equal(
    rec.errors[0].message,
    'checksum mismatch at byte 11: expected 0x4A, got 0x1F (line "S,1,2,6*1F")',
  );
});

test('decoded arrays belong to the handler: later frames do not overwrite them', () => {
  const protocol = WireProtocol.forDevice(makeDevice({ type: 'cobs' }, SMALL, COMMAND));
  const kept: Float64Array[] = [];
  const decoder = protocol.sensorDecoder({ onFrame: (v) => kept.push(v), onError: assert.fail });
  decoder.push(concat(protocol.encodeSensor([1, 2, 3]), protocol.encodeSensor([4, 5, 6])));
  assert.deepEqual(
    kept.map((v) => Array.from(v)),
    [
      [1, 2, 3],
      [4, 5, 6],
    ],
  );
});

test('encoding refuses values that do not fit, naming the field', () => {
  for (const framing of [{ type: 'line' }, { type: 'cobs' }, { type: 'length_prefix' }]) {
    const protocol = WireProtocol.forDevice(makeDevice(framing, SMALL, COMMAND));
    assert.throws(() => protocol.encodeSensor([1, 2]), RangeError);
    assert.throws(() => protocol.encodeSensor([40000, 2, 3]), /field a: value 40000/);
    assert.throws(() => protocol.encodeCommand([0, NaN]), /field x: value NaN/);
    assert.throws(
      () => protocol.encodeSensor([1, 2, 200]),
      /field c: value 200 \(wire 400\) does not fit u8/,
    );
  }
});

test('forDevice refuses binary layouts that cannot fit max_frame_bytes', () => {
  assert.throws(
    () => WireProtocol.forDevice(makeDevice({ type: 'cobs', max_frame_bytes: 8 }, SMALL, COMMAND)),
    /sensor_frame takes up to 11 encoded bytes, more than max_frame_bytes \(8\)/,
  );
  assert.throws(
    () => WireProtocol.forDevice(makeDevice({ type: 'length_prefix', max_frame_bytes: 12 }, SMALL, COMMAND)),
    /sensor_frame takes 13 bytes/,
  );
  const wide = { fields: Array.from({ length: 40 }, (_, i) => ({ name: `f${i}`, type: 'f64' as const })) };
  assert.throws(
    () => WireProtocol.forDevice(makeDevice({ type: 'length_prefix', max_frame_bytes: 1000 }, wide, COMMAND)),
    /payload of 320 bytes does not fit a 1-byte length/,
  );
});

function findUp(relative: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, relative))) return join(dir, relative);
    const up = dirname(dir);
    if (up === dir) throw new Error(`${relative} not found`);
    dir = up;
  }
}

test('the example cart-pole board: 23-byte COBS sensor frames, round trip', () => {
  const device = SerialDeviceSchema.parse(
    parseYaml(readFileSync(findUp('hardware/devices/cartpole-serial.yaml'), 'utf8')),
  );
  const protocol = WireProtocol.forDevice(device);
  assert.equal(protocol.sensorFieldCount, 5);
  assert.equal(protocol.commandFieldCount, 1);
  const sensor = protocol.encodeSensor([123456, -8192, -40, 7, -1500]);
  assert.equal(crcByteLength('crc16-ccitt'), 2);
  assert.equal(sensor.length, 1 + 18 + 2 + 1 + 1, 'id, 4 i32 + i16, CRC, COBS overhead, delimiter');
  const rec = recorder();
  protocol.sensorDecoder(rec).push(sensor);
  assert.deepEqual(rec.frames, [[123456, -8192, -40, 7, -1500]]);
  const command = recorder();
  const decoder = protocol.commandDecoder(command);
  decoder.push(protocol.encodeCommand([-1000]));
  decoder.push(sensor);
  assert.deepEqual(command.frames, [[-1000]]);
  assert.deepEqual(
    command.errors.map((e) => e.kind),
    ['unknown_id'],
  );
});
