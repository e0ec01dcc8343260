/**
 * Binary encoding of one frame layout: `[id] field...` with each field a C type in its own
 * byte order. value = wire * scale; encoding rounds value / scale to the wire type.
 */
import type { BinaryFieldType, FrameLayout } from '../../config/device-schema.js';
import { hexValue, type FrameProblem } from './frame-error.js';

// Numeric type codes keep the per-field switch on small integers.
const I8 = 0;
const U8 = 1;
const I16 = 2;
const U16 = 3;
const I32 = 4;
const U32 = 5;
const F32 = 6;
const F64 = 7;

const TYPE_CODE: Record<BinaryFieldType, number> = {
  i8: I8,
  u8: U8,
  i16: I16,
  u16: U16,
  i32: I32,
  u32: U32,
  f32: F32,
  f64: F64,
};
const SIZE = [1, 1, 2, 2, 4, 4, 4, 8];
const INT_MIN = [-0x80, 0, -0x8000, 0, -0x8000_0000, 0];
const INT_MAX = [0x7f, 0xff, 0x7fff, 0xffff, 0x7fff_ffff, 0xffff_ffff];

/** Byte size of a binary field type. */
export function binaryFieldSize(type: BinaryFieldType): number {
  return SIZE[TYPE_CODE[type]];
}

/** Inclusive wire range of an integer field type, or undefined for floats. */
export function integerRange(type: BinaryFieldType): readonly [number, number] | undefined {
  const c = TYPE_CODE[type];
  return c < F32 ? [INT_MIN[c], INT_MAX[c]] : undefined;
}

export class FieldLayoutCodec {
  readonly fieldCount: number;
  /** Bytes of id (if any) + fields. */
  readonly payloadLength: number;
  /** The id byte, or -1 when the layout has none. */
  readonly id: number;
  private readonly names: string[];
  private readonly typeNames: BinaryFieldType[];
  private readonly codes: Uint8Array;
  private readonly bigEndian: Uint8Array;
  private readonly scales: Float64Array;
  // Fields are assembled little-endian in this scratch, so one DataView reads every type.
  private readonly scratch = new Uint8Array(8);
  private readonly view = new DataView(this.scratch.buffer);

  constructor(layout: FrameLayout) {
    const fields = layout.fields;
    this.fieldCount = fields.length;
    this.id = layout.id ?? -1;
    this.names = fields.map((f) => f.name);
    this.typeNames = fields.map((f) => f.type);
    this.codes = Uint8Array.from(fields, (f) => TYPE_CODE[f.type]);
    this.bigEndian = Uint8Array.from(fields, (f) => (f.endian === 'big' ? 1 : 0));
    this.scales = Float64Array.from(fields, (f) => f.scale);
    let n = this.id >= 0 ? 1 : 0;
    for (const c of this.codes) n += SIZE[c];
    this.payloadLength = n;
  }

  /**
   * Decodes the payload bytes[start, end) into out (fieldCount values, scaled). Checks the id
   * first, so a frame of another kind is reported as unknown_id rather than as a bad length.
   */
  decode(bytes: Uint8Array, start: number, end: number, out: Float64Array): FrameProblem | undefined {
    let p = start;
    if (this.id >= 0 && end > start) {
      if (bytes[p] !== this.id)
        return {
          kind: 'unknown_id',
          detail: `expected id ${hexValue(this.id, 2)}, got ${hexValue(bytes[p], 2)}`,
        };
      p++;
    }
    if (end - start !== this.payloadLength) {
      return {
        kind: 'field_count',
        detail: `expected ${this.fieldCount} fields (${this.payloadLength} bytes), got ${end - start} bytes`,
      };
    }
    const s = this.scratch;
    for (let f = 0; f < this.fieldCount; f++) {
      const code = this.codes[f];
      const size = SIZE[code];
      if (this.bigEndian[f]) for (let k = 0; k < size; k++) s[k] = bytes[p + size - 1 - k];
      else for (let k = 0; k < size; k++) s[k] = bytes[p + k];
      p += size;
      const v = this.readScratch(code) * this.scales[f];
      if (!Number.isFinite(v))
        return { kind: 'non_finite', detail: `field ${this.names[f]} (#${f + 1}) is ${v}` };
      out[f] = v;
    }
    return undefined;
  }

  /**
   * Writes the payload for values (fieldCount of them, in layout order) into out at offset and
   * returns payloadLength. Throws RangeError, naming the field, for a value that is not finite
   * or does not fit its wire type.
   */
  encodeInto(values: ArrayLike<number>, out: Uint8Array, offset: number): number {
    if (values.length !== this.fieldCount) {
      throw new RangeError(
        `expected ${this.fieldCount} values (${this.names.join(', ')}), got ${values.length}`,
      );
    }
    let p = offset;
    if (this.id >= 0) out[p++] = this.id;
    const s = this.scratch;
    for (let f = 0; f < this.fieldCount; f++) {
      const code = this.codes[f];
      const size = SIZE[code];
      this.writeScratch(f, code, values[f]);
      if (this.bigEndian[f]) for (let k = 0; k < size; k++) out[p + k] = s[size - 1 - k];
      else for (let k = 0; k < size; k++) out[p + k] = s[k];
      p += size;
    }
    return p - offset;
  }

  /** The payload for values as a new array. */
  encode(values: ArrayLike<number>): Uint8Array {
    const out = new Uint8Array(this.payloadLength);
    this.encodeInto(values, out, 0);
    return out;
  }

  private readScratch(code: number): number {
    const v = this.view;
    switch (code) {
      case I8:
        return v.getInt8(0);
      case U8:
        return v.getUint8(0);
      case I16:
        return v.getInt16(0, true);
      case U16:
        return v.getUint16(0, true);
      case I32:
        return v.getInt32(0, true);
      case U32:
        return v.getUint32(0, true);
      case F32:
        return v.getFloat32(0, true);
      default:
        return v.getFloat64(0, true);
    }
  }

  private writeScratch(f: number, code: number, value: number): void {
    const v = this.view;
    const x = value / this.scales[f];
    if (code < F32) {
      const wire = Math.round(x);
      if (!(wire >= INT_MIN[code] && wire <= INT_MAX[code])) {
        throw new RangeError(
          `field ${this.names[f]}: value ${value} (wire ${wire}) does not fit ${this.typeNames[f]}`,
        );
      }
      switch (code) {
        case I8:
          v.setInt8(0, wire);
          return;
        case U8:
          v.setUint8(0, wire);
          return;
        case I16:
          v.setInt16(0, wire, true);
          return;
        case U16:
          v.setUint16(0, wire, true);
          return;
        case I32:
          v.setInt32(0, wire, true);
          return;
        default:
          v.setUint32(0, wire, true);
          return;
      }
    }
    // Non-finite floats are refused too: the decoder would reject them anyway.
    if (!Number.isFinite(x) || (code === F32 && !Number.isFinite(Math.fround(x)))) {
      throw new RangeError(`field ${this.names[f]}: value ${value} is not finite as ${this.typeNames[f]}`);
    }
    if (code === F32) v.setFloat32(0, x, true);
    else v.setFloat64(0, x, true);
  }
}
