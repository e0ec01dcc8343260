/**
 * The byte-stream half of the delimiter-based framers (line, COBS): splits a stream at a
 * delimiter byte into frames held in a bounded buffer, keeps each frame's stream offset, drops
 * a frame that outgrows the buffer up to the next delimiter (reported once, as soon as it
 * overflows), and knows whether the current frame may have begun before the stream was first
 * heard. What a frame means (checksum, COBS decoding) stays with the framer.
 */
export interface DelimitedFrameEvents {
  /** A frame of `length` > 0 bytes, in buffer[0, length), ended at a delimiter. */
  onFrame(length: number): void;
  /** The current frame outgrew the buffer holding `length` bytes; it is dropped up to the next delimiter. */
  onOverflow(length: number): void;
  /** reset() found `length` > 0 bytes of an unfinished frame that was not already being dropped. */
  onPartial(length: number): void;
}

export class DelimitedFrames {
  readonly buffer: Uint8Array;
  private len = 0;
  private start = 0;
  private seen = 0;
  private discarding = false;
  // Until the first delimiter, the frame may have begun before we started listening.
  private first = true;

  constructor(
    private readonly delimiter: number,
    capacity: number,
    private readonly events: DelimitedFrameEvents,
  ) {
    this.buffer = new Uint8Array(capacity);
  }

  get bytesSeen(): number {
    return this.seen;
  }

  /** Stream offset of the current frame's first byte. */
  get frameStart(): number {
    return this.start;
  }

  /** Bytes of the current frame held in the buffer (valid during the event callbacks). */
  get length(): number {
    return this.len;
  }

  /** True until the first delimiter after creation or reset: the frame may be a tail. */
  get atStart(): boolean {
    return this.first;
  }

  push(chunk: Uint8Array): void {
    const base = this.seen;
    this.seen += chunk.length;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const at = chunk.indexOf(this.delimiter, i);
      if (at < 0) {
        this.append(chunk, i, n);
        return;
      }
      this.append(chunk, i, at);
      this.endFrame();
      this.start = base + at + 1;
      i = at + 1;
    }
  }

  reset(): void {
    if (!this.discarding && this.len > 0) this.events.onPartial(this.len);
    this.len = 0;
    this.start = 0;
    this.seen = 0;
    this.discarding = false;
    this.first = true;
  }

  private append(chunk: Uint8Array, a: number, b: number): void {
    if (this.discarding || a === b) return;
    const buffer = this.buffer;
    const room = buffer.length - this.len;
    const take = Math.min(room, b - a);
    if (take < 16) for (let k = 0; k < take; k++) buffer[this.len + k] = chunk[a + k];
    else buffer.set(chunk.subarray(a, a + take), this.len);
    this.len += take;
    if (b - a > room) {
      this.events.onOverflow(this.len);
      this.discarding = true;
      this.len = 0;
    }
  }

  private endFrame(): void {
    const wasDiscarding = this.discarding;
    this.discarding = false;
    if (!wasDiscarding && this.len > 0) this.events.onFrame(this.len);
    this.len = 0;
    this.first = false;
  }
}
