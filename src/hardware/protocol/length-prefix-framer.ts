/**
 * Length-prefixed framing: `sync..., length, payload, crc` where length (1 or 2 bytes, in
 * length_endian order) counts the payload (id + fields) and the CRC (little-endian) covers the
 * length bytes and the payload. max_frame_bytes bounds the whole frame, sync to CRC.
 *
 * After a bad CRC or an impossible length the search for the next sync sequence restarts one
 * byte after the failed frame's first sync byte, so a real frame that begins inside garbage (or
 * inside a truncated frame) is still found. Bytes skipped while searching are reported as one
 * 'garbage' error per run (when the next sync is found, or every 256 bytes of a long run),
 * except bytes inside a frame already reported as bad.
 */
import type { CrcKind, FramingSpec } from '../../config/device-schema.js';
import { crc16, crcByteLength } from './crc16.js';
import { FrameError, PREVIEW_BYTES, hexValue, previewBytes, type FrameErrorKind } from './frame-error.js';
import type { Framer, PayloadSink } from './framer.js';

export type LengthPrefixSpec = Omit<Extract<FramingSpec, { type: 'length_prefix' }>, 'type'>;

export class LengthPrefixFramer implements Framer {
  private readonly sync: Uint8Array;
  private readonly lengthBytes: number;
  private readonly bigEndianLength: boolean;
  private readonly headerLength: number;
  private readonly crc: CrcKind;
  private readonly crcLength: number;
  private readonly maxFrameBytes: number;
  private readonly garbageFlushAt: number;
  // buf[head, tail) is unprocessed; buf[0] is at stream offset bufOffset.
  private readonly buf: Uint8Array;
  private head = 0;
  private tail = 0;
  private bufOffset = 0;
  private seen = 0;
  // Skipped bytes before this stream offset belong to a frame already reported as bad.
  private coveredUntil = 0;
  private garbageStart = 0;
  private garbageLength = 0;
  private readonly garbagePreview = new Uint8Array(PREVIEW_BYTES);
  private garbagePreviewLength = 0;

  constructor(
    private readonly sink: PayloadSink,
    spec: LengthPrefixSpec,
  ) {
    this.sync = Uint8Array.from(spec.sync);
    this.lengthBytes = spec.length_bytes;
    this.bigEndianLength = spec.length_endian === 'big';
    this.headerLength = this.sync.length + spec.length_bytes;
    this.crc = spec.crc;
    this.crcLength = crcByteLength(spec.crc);
    this.maxFrameBytes = spec.max_frame_bytes;
    this.garbageFlushAt = Math.max(256, spec.max_frame_bytes);
    // Room for the largest acceptable frame, so a frame never has to wait for space.
    this.buf = new Uint8Array(Math.max(spec.max_frame_bytes, this.headerLength + 1));
  }

  get bytesSeen(): number {
    return this.seen;
  }

  push(chunk: Uint8Array): void {
    const buf = this.buf;
    let i = 0;
    while (i < chunk.length) {
      if (this.tail === buf.length) {
        // process() always leaves fewer than buf.length bytes pending, so this frees room.
        buf.copyWithin(0, this.head, this.tail);
        this.bufOffset += this.head;
        this.tail -= this.head;
        this.head = 0;
      }
      const take = Math.min(buf.length - this.tail, chunk.length - i);
      if (take < 16) for (let k = 0; k < take; k++) buf[this.tail + k] = chunk[i + k];
      else buf.set(chunk.subarray(i, i + take), this.tail);
      this.tail += take;
      this.seen += take;
      i += take;
      this.process();
    }
  }

  reset(): void {
    this.flushGarbage();
    if (this.tail > this.head) {
      const n = this.tail - this.head;
      this.report('truncated', `partial frame of ${n} bytes discarded by reset`, this.head, this.tail);
    }
    this.head = 0;
    this.tail = 0;
    this.bufOffset = 0;
    this.seen = 0;
    this.coveredUntil = 0;
    this.garbageLength = 0;
  }

  private process(): void {
    const buf = this.buf;
    const sync = this.sync;
    const syncLength = sync.length;
    for (;;) {
      // Find the next full sync sequence, or a prefix of one at the end of the data.
      let j = this.head;
      let found = false;
      for (; j < this.tail; j++) {
        if (buf[j] !== sync[0]) continue;
        let k = 1;
        while (k < syncLength && j + k < this.tail && buf[j + k] === sync[k]) k++;
        if (k === syncLength) found = true;
        if (found || j + k === this.tail) break;
      }
      this.skipTo(j);
      if (!found) return;
      this.flushGarbage();
      const available = this.tail - j;
      if (available < this.headerLength) return;
      const length = this.readLength(j + syncLength);
      const total = this.headerLength + length + this.crcLength;
      if (total > this.maxFrameBytes) {
        this.fail(
          'oversize',
          `length field says ${length} bytes, a frame of ${total} bytes, more than max_frame_bytes (${this.maxFrameBytes})`,
          j,
          this.headerLength,
        );
        continue;
      }
      if (available < total) return;
      const payloadStart = j + this.headerLength;
      const payloadEnd = payloadStart + length;
      if (this.crcLength > 0) {
        const expected = crc16(this.crc, buf, j + syncLength, payloadEnd);
        const got = buf[payloadEnd] | (buf[payloadEnd + 1] << 8);
        if (got !== expected) {
          this.fail('checksum', `expected ${hexValue(expected, 4)}, got ${hexValue(got, 4)}`, j, total);
          continue;
        }
      }
      this.head = j + total;
      // A good frame inside a failed one's claimed extent shows that claim was false.
      this.coveredUntil = this.bufOffset + this.head;
      const problem = this.sink.onPayload(buf, payloadStart, payloadEnd, this.bufOffset + j);
      if (problem) this.report(problem.kind, problem.detail, j, j + total);
    }
  }

  private readLength(p: number): number {
    const buf = this.buf;
    if (this.lengthBytes === 1) return buf[p];
    return this.bigEndianLength ? (buf[p] << 8) | buf[p + 1] : buf[p] | (buf[p + 1] << 8);
  }

  /** Reports the frame at buf[at] and resumes the sync search one byte after it. */
  private fail(kind: FrameErrorKind, detail: string, at: number, frameLength: number): void {
    this.report(kind, detail, at, at + frameLength);
    this.coveredUntil = Math.max(this.coveredUntil, this.bufOffset + at + frameLength);
    this.head = at + 1;
  }

  private report(kind: FrameErrorKind, detail: string, start: number, end: number): void {
    const preview = previewBytes(this.buf, start, end, false);
    this.sink.onError(new FrameError(kind, this.bufOffset + start, detail, preview));
  }

  /** Drops buf[head, to), counting the bytes not inside an already reported frame as garbage. */
  private skipTo(to: number): void {
    const from = this.head;
    this.head = to;
    let a = Math.max(this.bufOffset + from, this.coveredUntil);
    const end = this.bufOffset + to;
    if (a >= end) return;
    if (this.garbageLength > 0 && this.garbageStart + this.garbageLength !== a) this.flushGarbage();
    while (a < end) {
      if (this.garbageLength === 0) {
        this.garbageStart = a;
        this.garbagePreviewLength = 0;
      }
      const take = Math.min(end - a, this.garbageFlushAt - this.garbageLength);
      const copy = Math.min(take, PREVIEW_BYTES - this.garbagePreviewLength);
      for (let k = 0; k < copy; k++) {
        this.garbagePreview[this.garbagePreviewLength++] = this.buf[a - this.bufOffset + k];
      }
      this.garbageLength += take;
      a += take;
      if (this.garbageLength >= this.garbageFlushAt) this.flushGarbage();
    }
  }

  private flushGarbage(): void {
    const n = this.garbageLength;
    if (n === 0) return;
    this.garbageLength = 0;
    const sync = previewBytes(this.sync, 0, this.sync.length, false);
    const preview = previewBytes(this.garbagePreview, 0, n, false);
    this.sink.onError(
      new FrameError('garbage', this.garbageStart, `${n} bytes skipped looking for sync ${sync}`, preview),
    );
  }
}

/** A complete frame for payload[start, end): sync, length, payload, CRC. */
export function encodeLengthPrefixFrame(
  payload: Uint8Array,
  start: number,
  end: number,
  spec: LengthPrefixSpec,
): Uint8Array {
  const length = end - start;
  const maxLength = spec.length_bytes === 1 ? 0xff : 0xffff;
  if (length > maxLength)
    throw new RangeError(`payload of ${length} bytes does not fit a ${spec.length_bytes}-byte length`);
  const syncLength = spec.sync.length;
  const headerLength = syncLength + spec.length_bytes;
  const crcLength = crcByteLength(spec.crc);
  const out = new Uint8Array(headerLength + length + crcLength);
  out.set(spec.sync, 0);
  if (spec.length_bytes === 1) out[syncLength] = length;
  else if (spec.length_endian === 'big') {
    out[syncLength] = length >>> 8;
    out[syncLength + 1] = length & 0xff;
  } else {
    out[syncLength] = length & 0xff;
    out[syncLength + 1] = length >>> 8;
  }
  out.set(payload.subarray(start, end), headerLength);
  if (crcLength > 0) {
    const c = crc16(spec.crc, out, syncLength, headerLength + length);
    out[headerLength + length] = c & 0xff;
    out[headerLength + length + 1] = c >>> 8;
  }
  return out;
}
