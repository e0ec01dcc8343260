/**
 * COBS framing: each frame is COBS(payload, crc) followed by 0x00, with the CRC (if any) over
 * the payload, little-endian. Two 0x00 in a row (an empty frame) are ignored, so a sender may
 * emit a 0x00 before a frame to resynchronise the receiver. Frames whose encoded size exceeds
 * maxFrameBytes (not counting the delimiter) are discarded up to the next 0x00 and reported
 * once, as soon as they overflow.
 */
import type { CrcKind } from '../../config/device-schema.js';
import { cobsDecodeInto, cobsEncodeInto, cobsMaxEncodedLength } from './cobs.js';
import { crc16, crcByteLength } from './crc16.js';
import { FrameError, hexValue, previewBytes, type FrameErrorKind } from './frame-error.js';
import type { Framer, PayloadSink } from './framer.js';

export class CobsFramer implements Framer {
  private readonly raw: Uint8Array;
  private readonly decoded: Uint8Array;
  private readonly crcLength: number;
  private len = 0;
  private frameStart = 0;
  private seen = 0;
  private discarding = false;
  // Until the first 0x00, the frame may have begun before we started listening.
  private atStart = true;

  constructor(
    private readonly sink: PayloadSink,
    private readonly crc: CrcKind,
    private readonly maxFrameBytes: number,
  ) {
    this.raw = new Uint8Array(maxFrameBytes);
    this.decoded = new Uint8Array(maxFrameBytes);
    this.crcLength = crcByteLength(crc);
  }

  get bytesSeen(): number {
    return this.seen;
  }

  push(chunk: Uint8Array): void {
    const base = this.seen;
    this.seen += chunk.length;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const zero = chunk.indexOf(0, i);
      if (zero < 0) {
        this.append(chunk, i, n);
        return;
      }
      this.append(chunk, i, zero);
      this.endFrame();
      this.frameStart = base + zero + 1;
      i = zero + 1;
    }
  }

  reset(): void {
    if (!this.discarding && this.len > 0) {
      this.report('truncated', `partial frame of ${this.len} bytes discarded by reset`, true);
    }
    this.len = 0;
    this.frameStart = 0;
    this.seen = 0;
    this.discarding = false;
    this.atStart = true;
  }

  private append(chunk: Uint8Array, a: number, b: number): void {
    if (this.discarding || a === b) return;
    const raw = this.raw;
    const room = raw.length - this.len;
    const take = Math.min(room, b - a);
    if (take < 16) for (let k = 0; k < take; k++) raw[this.len + k] = chunk[a + k];
    else raw.set(chunk.subarray(a, a + take), this.len);
    this.len += take;
    if (b - a > room) {
      this.report('oversize', `frame longer than max_frame_bytes (${this.maxFrameBytes})`);
      this.discarding = true;
      this.len = 0;
    }
  }

  private endFrame(): void {
    const wasDiscarding = this.discarding;
    this.discarding = false;
    if (!wasDiscarding && this.len > 0) this.processFrame();
    this.len = 0;
    this.atStart = false;
  }

  private processFrame(): void {
    const d = this.decoded;
    const n = cobsDecodeInto(this.raw, 0, this.len, d, 0);
    if (n < 0) return this.report('truncated', 'COBS block runs past the end of the frame');
    const crcLength = this.crcLength;
    if (n < crcLength)
      return this.report('truncated', `decoded frame of ${n} bytes is too short for its CRC`);
    const payloadEnd = n - crcLength;
    if (crcLength > 0) {
      const expected = crc16(this.crc, d, 0, payloadEnd);
      const got = d[payloadEnd] | (d[payloadEnd + 1] << 8);
      if (got !== expected) {
        return this.report('checksum', `expected ${hexValue(expected, 4)}, got ${hexValue(got, 4)}`);
      }
    }
    const problem = this.sink.onPayload(d, 0, payloadEnd, this.frameStart);
    if (problem) this.report(problem.kind, problem.detail);
  }

  /** Any failure of the first frame after start or reset is reported as truncated: it likely is. */
  private report(kind: FrameErrorKind, detail: string, fromReset = false): void {
    if (this.atStart && !fromReset && kind !== 'oversize') {
      detail = `first frame after start or reset is incomplete (${kind}: ${detail})`;
      kind = 'truncated';
    }
    const preview = previewBytes(this.raw, 0, this.len, false);
    this.sink.onError(new FrameError(kind, this.frameStart, detail, preview));
  }
}

/**
 * A complete frame: COBS(payload, crc) and the 0x00 delimiter, for the payload in
 * buffer[0, payloadLength). The CRC is written into buffer after the payload, so buffer must
 * have crcByteLength(crc) bytes to spare there.
 */
export function encodeCobsFrame(buffer: Uint8Array, payloadLength: number, crc: CrcKind): Uint8Array {
  const crcLength = crcByteLength(crc);
  if (buffer.length < payloadLength + crcLength) {
    throw new RangeError(`buffer of ${buffer.length} bytes has no room for a ${crcLength}-byte CRC`);
  }
  if (crcLength > 0) {
    const c = crc16(crc, buffer, 0, payloadLength);
    buffer[payloadLength] = c & 0xff;
    buffer[payloadLength + 1] = c >>> 8;
  }
  const n = payloadLength + crcLength;
  const out = new Uint8Array(cobsMaxEncodedLength(n) + 1);
  const encoded = cobsEncodeInto(buffer, 0, n, out, 0);
  out[encoded] = 0;
  return out.slice(0, encoded + 1);
}
