/**
 * Text encoding of one frame layout for line framing: `TAG,v1,v2,...` (the framer adds the
 * checksum and newline). Integer fields must be integers in their type's range; float fields
 * decimal numbers, rounded to f32 for f32 fields so line and binary framings of one device
 * decode the same values. nan/inf are non_finite, anything else bad_number.
 */
import type { BinaryFieldType, FrameLayout } from '../../config/device-schema.js';
import type { FrameProblem } from './frame-error.js';
import { integerRange } from './field-layout-codec.js';

const COMMA = 0x2c;
const SPACE = 0x20;
const TAB = 0x09;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const D0 = 0x30;
const D9 = 0x39;

export class AsciiLayoutCodec {
  readonly fieldCount: number;
  /** The tag every line of this layout starts with, or undefined (lines are bare values). */
  readonly tag: string | undefined;
  private readonly tagBytes: Uint8Array;
  private readonly names: string[];
  private readonly types: BinaryFieldType[];
  private readonly isFloat: Uint8Array;
  private readonly isF32: Uint8Array;
  private readonly mins: Float64Array;
  private readonly maxs: Float64Array;
  private readonly scales: Float64Array;

  constructor(layout: FrameLayout) {
    const fields = layout.fields;
    this.fieldCount = fields.length;
    this.tag = layout.tag;
    this.tagBytes = Uint8Array.from(layout.tag ?? '', (c) => c.charCodeAt(0));
    this.names = fields.map((f) => f.name);
    this.types = fields.map((f) => f.type);
    this.isFloat = Uint8Array.from(fields, (f) => (integerRange(f.type) ? 0 : 1));
    this.isF32 = Uint8Array.from(fields, (f) => (f.type === 'f32' ? 1 : 0));
    this.mins = Float64Array.from(fields, (f) => integerRange(f.type)?.[0] ?? 0);
    this.maxs = Float64Array.from(fields, (f) => integerRange(f.type)?.[1] ?? 0);
    this.scales = Float64Array.from(fields, (f) => f.scale);
  }

  /** Decodes the line bytes[start, end) (no checksum, no newline) into out. */
  decode(bytes: Uint8Array, start: number, end: number, out: Float64Array): FrameProblem | undefined {
    let p = start;
    const tag = this.tagBytes;
    if (tag.length > 0) {
      let ok = end - start >= tag.length;
      for (let k = 0; ok && k < tag.length; k++) ok = bytes[start + k] === tag[k];
      p = start + tag.length;
      if (!ok || (p < end && bytes[p] !== COMMA)) {
        let e = start;
        while (e < end && bytes[e] !== COMMA) e++;
        return {
          kind: 'unknown_id',
          detail: `expected tag ${JSON.stringify(this.tag)}, got ${JSON.stringify(ascii(bytes, start, Math.min(e, start + 32)))}`,
        };
      }
      if (p === end) return this.countProblem(0);
      p++; // the comma after the tag
    }
    let count = 1;
    for (let i = p; i < end; i++) if (bytes[i] === COMMA) count++;
    if (count !== this.fieldCount) return this.countProblem(count);
    for (let f = 0; f < this.fieldCount; f++) {
      let e = p;
      while (e < end && bytes[e] !== COMMA) e++;
      const problem = this.parseField(f, bytes, p, e, out);
      if (problem) return problem;
      p = e + 1;
    }
    return undefined;
  }

  /** `TAG,v1,v2,...` for values; throws RangeError, naming the field, for a value that does not fit. */
  encode(values: ArrayLike<number>): string {
    if (values.length !== this.fieldCount) {
      throw new RangeError(
        `expected ${this.fieldCount} values (${this.names.join(', ')}), got ${values.length}`,
      );
    }
    let s = this.tag === undefined ? '' : `${this.tag},`;
    for (let f = 0; f < this.fieldCount; f++) {
      if (f > 0) s += ',';
      s += this.formatField(f, values[f]);
    }
    return s;
  }

  private countProblem(got: number): FrameProblem {
    return { kind: 'field_count', detail: `expected ${this.fieldCount} fields, got ${got}` };
  }

  private parseField(
    f: number,
    bytes: Uint8Array,
    a: number,
    b: number,
    out: Float64Array,
  ): FrameProblem | undefined {
    // Tolerate spaces around values (Serial.print(", ") style firmware).
    while (a < b && (bytes[a] === SPACE || bytes[a] === TAB)) a++;
    while (b > a && (bytes[b - 1] === SPACE || bytes[b - 1] === TAB)) b--;
    let wire: number;
    if (isNonFiniteWord(bytes, a, b)) return this.fieldProblem('non_finite', f, bytes, a, b, 'is not finite');
    if (this.isFloat[f]) {
      if (!isDecimal(bytes, a, b)) return this.fieldProblem('bad_number', f, bytes, a, b, 'is not a number');
      wire = Number(ascii(bytes, a, b));
      if (this.isF32[f]) wire = Math.fround(wire);
      if (!Number.isFinite(wire))
        return this.fieldProblem('non_finite', f, bytes, a, b, `overflows ${this.types[f]}`);
    } else {
      wire = parseInteger(bytes, a, b);
      if (Number.isNaN(wire)) return this.fieldProblem('bad_number', f, bytes, a, b, 'is not an integer');
      if (wire < this.mins[f] || wire > this.maxs[f])
        return this.fieldProblem('bad_number', f, bytes, a, b, `is out of range for ${this.types[f]}`);
    }
    const v = wire * this.scales[f];
    if (!Number.isFinite(v)) return this.fieldProblem('non_finite', f, bytes, a, b, `times scale is ${v}`);
    out[f] = v;
    return undefined;
  }

  private fieldProblem(
    kind: FrameProblem['kind'],
    f: number,
    bytes: Uint8Array,
    a: number,
    b: number,
    what: string,
  ): FrameProblem {
    const text = JSON.stringify(ascii(bytes, a, Math.min(b, a + 32)));
    return { kind, detail: `field ${this.names[f]} (#${f + 1}): ${text} ${what}` };
  }

  private formatField(f: number, value: number): string {
    const x = value / this.scales[f];
    if (!this.isFloat[f]) {
      const wire = Math.round(x);
      if (!(wire >= this.mins[f] && wire <= this.maxs[f])) {
        throw new RangeError(
          `field ${this.names[f]}: value ${value} (wire ${wire}) does not fit ${this.types[f]}`,
        );
      }
      return String(wire);
    }
    if (!Number.isFinite(x)) throw new RangeError(`field ${this.names[f]}: value ${value} is not finite`);
    if (!this.isF32[f]) return String(x); // shortest text that reads back as the same double
    const w = Math.fround(x);
    if (!Number.isFinite(w)) throw new RangeError(`field ${this.names[f]}: value ${value} overflows f32`);
    // Shortest decimal that reads back (rounded to f32) as the same f32; at most 9 digits.
    for (let digits = 1; digits < 9; digits++) {
      const s = w.toPrecision(digits);
      if (Math.fround(Number(s)) === w) return String(Number(s));
    }
    return String(Number(w.toPrecision(9)));
  }
}

function ascii(bytes: Uint8Array, a: number, b: number): string {
  let s = '';
  for (let i = a; i < b; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** Optional sign, then digits only; NaN if not. Digits past 2^53 are out of every range anyway. */
function parseInteger(bytes: Uint8Array, a: number, b: number): number {
  let i = a;
  let sign = 1;
  if (i < b && (bytes[i] === PLUS || bytes[i] === MINUS)) sign = bytes[i++] === MINUS ? -1 : 1;
  if (i === b) return NaN;
  let v = 0;
  for (; i < b; i++) {
    const d = bytes[i] - D0;
    if (d < 0 || d > 9) return NaN;
    if (v < 1e16) v = v * 10 + d;
  }
  return sign * v;
}

/** [+-](digits[.digits]|.digits)[(e|E)[+-]digits]: what Number() accepts, minus hex, words and blanks. */
function isDecimal(bytes: Uint8Array, a: number, b: number): boolean {
  let i = a;
  if (i < b && (bytes[i] === PLUS || bytes[i] === MINUS)) i++;
  const intStart = i;
  while (i < b && bytes[i] >= D0 && bytes[i] <= D9) i++;
  let digits = i - intStart;
  if (i < b && bytes[i] === DOT) {
    const fracStart = ++i;
    while (i < b && bytes[i] >= D0 && bytes[i] <= D9) i++;
    digits += i - fracStart;
  }
  if (digits === 0) return false;
  if (i < b && (bytes[i] | 0x20) === 0x65) {
    i++;
    if (i < b && (bytes[i] === PLUS || bytes[i] === MINUS)) i++;
    const expStart = i;
    while (i < b && bytes[i] >= D0 && bytes[i] <= D9) i++;
    if (i === expStart) return false;
  }
  return i === b;
}

const NON_FINITE_WORDS = ['nan', 'inf', 'infinity'];

/** nan, inf, infinity in any case, optionally signed. */
function isNonFiniteWord(bytes: Uint8Array, a: number, b: number): boolean {
  if (a < b && (bytes[a] === PLUS || bytes[a] === MINUS)) a++;
  for (const w of NON_FINITE_WORDS) {
    if (b - a !== w.length) continue;
    let ok = true;
    for (let k = 0; ok && k < w.length; k++) ok = (bytes[a + k] | 0x20) === w.charCodeAt(k);
    if (ok) return true;
  }
  return false;
}
