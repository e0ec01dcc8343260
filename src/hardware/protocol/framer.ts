/**
 * The contract between framers (which find frames in a byte stream and check their framing:
 * delimiters, sync, length, checksum) and layout decoding (which reads the fields). Framers
 * create every FrameError, since only they know where a frame lies in the stream.
 */
import type { FrameError, FrameProblem } from './frame-error.js';

export interface PayloadSink {
  /**
   * One frame whose framing is sound: its payload is bytes[start, end) (binary: id + fields;
   * line: the text before `*`), valid only during the call. streamOffset is the frame's first
   * byte. Return a problem to have the framer report it against this frame.
   */
  onPayload(bytes: Uint8Array, start: number, end: number, streamOffset: number): FrameProblem | undefined;
  onError(error: FrameError): void;
}

export interface Framer {
  push(chunk: Uint8Array): void;
  /** Discards a partial frame (reported once as 'truncated') and restarts stream offsets at 0. */
  reset(): void;
  readonly bytesSeen: number;
}
