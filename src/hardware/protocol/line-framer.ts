/**
 * Line framing: ASCII `TAG,v1,v2,...[*CHK]\n` (a `\r` before the `\n` is dropped). CHK is
 * xor8 (NMEA style: 2 hex digits, XOR of every byte before `*`) or crc16-ccitt (4 hex digits);
 * hex digits are read in either case and written upper case. Empty lines are ignored. Lines
 * longer than maxLineBytes (not counting the terminator) are dropped up to the next newline and
 * reported once, as soon as they overflow.
 */
import { crc16 } from './crc16.js';
import { FrameError, hexValue, previewBytes, type FrameErrorKind } from './frame-error.js';
import { DelimitedFrames } from './delimited-frames.js';
import type { Framer, PayloadSink } from './framer.js';

export type LineChecksum = 'none' | 'xor8' | 'crc16-ccitt';

const LF = 0x0a;
const CR = 0x0d;
const STAR = 0x2a;

export class LineFramer implements Framer {
  private readonly frames: DelimitedFrames;
  private readonly buf: Uint8Array;

  constructor(
    private readonly sink: PayloadSink,
    private readonly checksum: LineChecksum,
    private readonly maxLineBytes: number,
  ) {
    // One spare byte so a line of exactly maxLineBytes can still hold its '\r'.
    this.frames = new DelimitedFrames(LF, maxLineBytes + 1, {
      onFrame: (length) => this.endLine(length),
      onOverflow: (length) =>
        this.report('oversize', `line longer than max_line_bytes (${this.maxLineBytes})`, length),
      onPartial: (length) =>
        this.report('truncated', `partial line of ${length} bytes discarded by reset`, length, true),
    });
    this.buf = this.frames.buffer;
  }

  get bytesSeen(): number {
    return this.frames.bytesSeen;
  }

  push(chunk: Uint8Array): void {
    this.frames.push(chunk);
  }

  reset(): void {
    this.frames.reset();
  }

  private endLine(length: number): void {
    let end = length;
    if (this.buf[end - 1] === CR) end--;
    if (end > this.maxLineBytes) {
      this.report('oversize', `line longer than max_line_bytes (${this.maxLineBytes})`, end);
    } else if (end > 0) {
      this.processLine(end);
    }
  }

  private processLine(end: number): void {
    const buf = this.buf;
    let payloadEnd = end;
    if (this.checksum !== 'none') {
      const digits = this.checksum === 'xor8' ? 2 : 4;
      const star = buf.lastIndexOf(STAR, end - 1);
      if (star < 0) return this.report('checksum', `missing "*" checksum`, end);
      const got = parseHex(buf, star + 1, end);
      if (end - star - 1 !== digits || got < 0) {
        return this.report('checksum', `malformed checksum, expected "*" and ${digits} hex digits`, end);
      }
      const expected = this.checksum === 'xor8' ? xor8(buf, 0, star) : crc16('crc16-ccitt', buf, 0, star);
      if (got !== expected) {
        return this.report(
          'checksum',
          `expected ${hexValue(expected, digits)}, got ${hexValue(got, digits)}`,
          end,
        );
      }
      payloadEnd = star;
    }
    const problem = this.sink.onPayload(buf, 0, payloadEnd, this.frames.frameStart);
    if (problem) this.report(problem.kind, problem.detail, end);
  }

  /** Any failure of the first line after start or reset is reported as truncated: it likely is. */
  private report(kind: FrameErrorKind, detail: string, previewEnd: number, fromReset = false): void {
    if (this.frames.atStart && !fromReset && kind !== 'oversize') {
      detail = `first line after start or reset is incomplete (${kind}: ${detail})`;
      kind = 'truncated';
    }
    const preview = previewBytes(this.buf, 0, previewEnd, true);
    this.sink.onError(new FrameError(kind, this.frames.frameStart, detail, preview, 'line'));
  }
}

/** XOR of bytes[start, end): the NMEA 0183 sentence checksum. */
export function xor8(bytes: Uint8Array, start: number, end: number): number {
  let x = 0;
  for (let i = start; i < end; i++) x ^= bytes[i];
  return x;
}

function parseHex(bytes: Uint8Array, start: number, end: number): number {
  if (end <= start) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = bytes[i] | 0x20; // lower-cases letters, keeps digits
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x61 + 10 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/**
 * A complete line for text (ASCII, without newline): text, `*` and the checksum unless 'none',
 * then `\n`. Throws RangeError if the line would exceed maxLineBytes (the peer would drop it).
 */
export function encodeLine(text: string, checksum: LineChecksum, maxLineBytes = Infinity): Uint8Array {
  const digits = checksum === 'none' ? 0 : checksum === 'xor8' ? 2 : 4;
  const lineLength = text.length + (digits > 0 ? 1 + digits : 0);
  if (lineLength > maxLineBytes) {
    throw new RangeError(`line of ${lineLength} bytes exceeds max_line_bytes (${maxLineBytes}): ${text}`);
  }
  const out = new Uint8Array(lineLength + 1);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f || c === LF || c === CR)
      throw new RangeError(`line text must be ASCII without newlines: ${text}`);
    out[i] = c;
  }
  let p = text.length;
  if (digits > 0) {
    const sum = checksum === 'xor8' ? xor8(out, 0, p) : crc16('crc16-ccitt', out, 0, p);
    out[p++] = STAR;
    const hex = sum.toString(16).toUpperCase().padStart(digits, '0');
    for (let k = 0; k < digits; k++) out[p++] = hex.charCodeAt(k);
  }
  out[p] = LF;
  return out;
}
