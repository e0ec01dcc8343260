/** A PayloadSink for framer tests: records payloads and errors; optionally rejects payloads. */
import type { FrameError, FrameProblem } from './frame-error.js';
import type { PayloadSink } from './framer.js';

export interface RecordingSink extends PayloadSink {
  payloads: { bytes: number[]; offset: number }[];
  errors: FrameError[];
  /** Text of the payloads (for line framing). */
  texts(): string[];
}

export function recordingSink(check?: (payload: number[]) => FrameProblem | undefined): RecordingSink {
  const payloads: { bytes: number[]; offset: number }[] = [];
  const errors: FrameError[] = [];
  return {
    payloads,
    errors,
    texts: () => payloads.map((p) => String.fromCharCode(...p.bytes)),
    onPayload(bytes, start, end, offset) {
      const payload = Array.from(bytes.subarray(start, end));
      const problem = check?.(payload);
      if (!problem) payloads.push({ bytes: payload, offset });
      return problem;
    },
    onError: (error) => errors.push(error),
  };
}
