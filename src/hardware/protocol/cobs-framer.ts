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
import { DelimitedFrames } from './delimited-frames.js';
import type { Framer, PayloadSink } from './framer.js';

export class CobsFramer implements Framer {
  private readonly frames: DelimitedFrames;
  private readonly decoded: Uint8Array;
  private readonly crcLength: number;

  constructor(
    private readonly sink: PayloadSink,
    private readonly crc: CrcKind,
    private readonly maxFrameBytes: number,
  ) {
    this.frames = new DelimitedFrames(0, maxFrameBytes, {
      onFrame: () => this.processFrame(),
      onOverflow: () => this.report('oversize', `frame longer than max_frame_bytes (${this.maxFrameBytes})`),
      onPartial: (length) =>
        this.report('truncated', `partial frame of ${length} bytes discarded by reset`, true),
    });
    this.decoded = new Uint8Array(maxFrameBytes);
    this.crcLength = crcByteLength(crc);
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

  private processFrame(): void {
    const d = this.decoded;
    const n = cobsDecodeInto(this.frames.buffer, 0, this.frames.length, d, 0);
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
    const problem = this.sink.onPayload(d, 0, payloadEnd, this.frames.frameStart);
    if (problem) this.report(problem.kind, problem.detail);
  }

  /** Any failure of the first frame after start or reset is reported as truncated: it likely is. */
  private report(kind: FrameErrorKind, detail: string, fromReset = false): void {
    if (this.frames.atStart && !fromReset && kind !== 'oversize') {
      detail = `first frame after start or reset is incomplete (${kind}: ${detail})`;
      kind = 'truncated';
    }
    const preview = previewBytes(this.frames.buffer, 0, this.frames.length, false);
    this.sink.onError(new FrameError(kind, this.frames.frameStart, detail, preview));
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
