/**
 * A decoder for one frame layout on a byte stream: a framer (delimiting and checksums) feeding
 * a layout codec (fields), reporting good frames and FrameErrors to the handlers.
 */
import type { FrameError, FrameProblem } from './frame-error.js';
import type { Framer, PayloadSink } from './framer.js';

/** Called synchronously from push() and reset(); an exception thrown here propagates out of push(). */
export interface FrameDecoderHandlers {
  /** One good frame: values in the layout's field order, after scale. The array is the handler's to keep. */
  onFrame(values: Float64Array): void;
  onError(error: FrameError): void;
}

export interface FrameDecoder {
  push(chunk: Uint8Array): void;
  /** discard a partial frame (port reopened); a discarded partial frame is reported once as 'truncated' */
  reset(): void;
  readonly bytesSeen: number;
}

/** Decodes the fields of one frame's payload (what FieldLayoutCodec and AsciiLayoutCodec do). */
export interface LayoutDecoder {
  readonly fieldCount: number;
  decode(bytes: Uint8Array, start: number, end: number, out: Float64Array): FrameProblem | undefined;
}

export class LayoutFrameDecoder implements FrameDecoder {
  private readonly framer: Framer;

  constructor(
    makeFramer: (sink: PayloadSink) => Framer,
    layout: LayoutDecoder,
    handlers: FrameDecoderHandlers,
  ) {
    // Decode into a scratch array so a bad frame never allocates or reaches the handler.
    const scratch = new Float64Array(layout.fieldCount);
    this.framer = makeFramer({
      onPayload(bytes, start, end) {
        const problem = layout.decode(bytes, start, end, scratch);
        if (problem) return problem;
        handlers.onFrame(scratch.slice());
        return undefined;
      },
      onError(error) {
        handlers.onError(error);
      },
    });
  }

  push(chunk: Uint8Array): void {
    this.framer.push(chunk);
  }

  reset(): void {
    this.framer.reset();
  }

  get bytesSeen(): number {
    return this.framer.bytesSeen;
  }
}
