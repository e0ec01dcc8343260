/**
 * Helpers for the protocol tests: devices built through the real schema, every field type and
 * byte order, random encodable values and the values a decoder must return for them.
 */
import { SerialDeviceSchema, type FieldSpec, type SerialDevice } from '../../config/device-schema.js';
import type { Rng } from '../../math/rng.js';
import { integerRange } from './field-layout-codec.js';
import type { FrameError } from './frame-error.js';
import type { FrameDecoder, FrameDecoderHandlers } from './frame-decoder.js';

type LayoutInput = { id?: number; tag?: string; fields: Partial<FieldSpec>[] };

/** A serial device with the given framing (schema input form) and layouts, validated by the schema. */
export function makeDevice(
  framing: Record<string, unknown>,
  sensor: LayoutInput,
  command: LayoutInput,
): SerialDevice {
  return SerialDeviceSchema.parse({
    device: 'test-board',
    transport: 'serial',
    serial: { port: '/dev/null' },
    framing,
    sensor_frame: sensor,
    command_frame: command,
    joints: [{ joint: 'j', position: sensor.fields[0].name }],
    commands: [{ action: 'a', field: command.fields[0].name }],
  });
}

const TYPES = ['i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'f32', 'f64'] as const;
const SCALES = [1, 0.001, 0.5, -2, 1e-6, 100];

/** Every field type in both byte orders, with assorted scales. */
export function everyFieldType(): Partial<FieldSpec>[] {
  const fields: Partial<FieldSpec>[] = [];
  let k = 0;
  for (const type of TYPES) {
    for (const endian of ['little', 'big'] as const) {
      fields.push({ name: `${type}_${endian}`, type, endian, scale: SCALES[k++ % SCALES.length] });
    }
  }
  return fields;
}

/** A random value the field can encode (integers spread over the whole wire range). */
export function randomValue(rng: Rng, field: FieldSpec): number {
  const range = integerRange(field.type);
  if (range) {
    const wire = range[0] + rng.integer(range[1] - range[0] + 1);
    // Off-grid values exercise rounding; keep the rounded wire value in range.
    const jitter = wire === range[0] || wire === range[1] ? 0 : rng.uniformIn(-0.45, 0.45);
    return (wire + jitter) * field.scale;
  }
  const r = rng.uniform();
  if (r < 0.05) return 0;
  const decades = field.type === 'f32' ? 30 : 200;
  return rng.normal() * 10 ** (rng.integer(2 * decades) - decades) * field.scale;
}

/** What a decoder returns for a value encoded into the field. */
export function decodedValue(field: FieldSpec, value: number): number {
  const x = value / field.scale;
  if (integerRange(field.type)) return Math.round(x) * field.scale;
  return (field.type === 'f32' ? Math.fround(x) : x) * field.scale;
}

export function randomValues(rng: Rng, fields: FieldSpec[]): number[] {
  return fields.map((f) => randomValue(rng, f));
}

export function decodedValues(fields: FieldSpec[], values: number[]): number[] {
  return fields.map((f, i) => decodedValue(f, values[i]));
}

/** Handlers that record every frame (as plain arrays) and error. */
export function recorder(): FrameDecoderHandlers & { frames: number[][]; errors: FrameError[] } {
  const frames: number[][] = [];
  const errors: FrameError[] = [];
  return {
    frames,
    errors,
    onFrame: (values) => frames.push(Array.from(values)),
    onError: (error) => errors.push(error),
  };
}

/** Pushes bytes in chunks of random size 1..maxChunk. */
export function pushInChunks(decoder: FrameDecoder, bytes: Uint8Array, rng: Rng, maxChunk: number): void {
  for (let i = 0; i < bytes.length;) {
    const n = Math.min(bytes.length - i, 1 + rng.integer(maxChunk));
    decoder.push(bytes.subarray(i, i + n));
    i += n;
  }
}

export function concat(...parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Same numbers elementwise, comparing with === (0 and -0 alike). */
export function sameValues(actual: ArrayLike<number>, expected: ArrayLike<number>): boolean {
  if (actual.length !== expected.length) return false;
  for (let i = 0; i < actual.length; i++) if (actual[i] !== expected[i]) return false;
  return true;
}
