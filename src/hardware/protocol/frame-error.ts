/**
 * The one error type of the serial wire protocol: what was wrong with a frame, where in the
 * byte stream it started, and a short preview of its bytes, so a log line is enough to find
 * the problem in a capture.
 */

export type FrameErrorKind =
  | 'checksum'
  | 'field_count'
  | 'non_finite'
  | 'bad_number'
  | 'oversize'
  | 'garbage'
  | 'truncated'
  | 'unknown_id';

/**
 * What a layout codec found wrong with one frame's payload. The framer, which knows where the
 * frame lies in the stream, turns it into a FrameError.
 */
export interface FrameProblem {
  readonly kind: FrameErrorKind;
  readonly detail: string;
}

const KIND_TEXT: Record<FrameErrorKind, string> = {
  checksum: 'checksum mismatch',
  field_count: 'field count',
  non_finite: 'non-finite value',
  bad_number: 'bad number',
  oversize: 'oversize',
  garbage: 'garbage',
  truncated: 'truncated',
  unknown_id: 'unknown id',
};

export class FrameError extends Error {
  static {
    // On the prototype, so it is already set when Error's constructor formats the stack.
    this.prototype.name = 'FrameError';
  }
  readonly kind: FrameErrorKind;
  /** Byte offset (since decoder creation or reset) of the first byte of the bad frame. */
  readonly streamOffset: number;
  /** The first <= 32 bytes of the bad frame, as hex or quoted ASCII. */
  readonly preview: string;
  /** What was wrong, without the position (the message has both). */
  readonly detail: string;

  constructor(
    kind: FrameErrorKind,
    streamOffset: number,
    detail: string,
    preview: string,
    unit: 'line' | 'frame' = 'frame',
  ) {
    super(`${KIND_TEXT[kind]} at byte ${streamOffset}: ${detail}${preview ? ` (${unit} ${preview})` : ''}`);
    this.kind = kind;
    this.streamOffset = streamOffset;
    this.preview = preview;
    this.detail = detail;
  }
}

/** How many bytes of a bad frame a preview shows. */
export const PREVIEW_BYTES = 32;

/**
 * The first PREVIEW_BYTES of bytes[start, end): quoted ASCII (non-printables escaped) for line
 * framing, space-separated hex otherwise; "..." marks a cut.
 */
export function previewBytes(bytes: Uint8Array, start: number, end: number, ascii: boolean): string {
  const stop = Math.min(end, start + PREVIEW_BYTES);
  let s = '';
  if (ascii) {
    for (let i = start; i < stop; i++) s += escapeAscii(bytes[i]);
    s = `"${s}"`;
  } else {
    for (let i = start; i < stop; i++) s += (i > start ? ' ' : '') + hex2(bytes[i]);
  }
  return end > stop ? `${s}...` : s;
}

function escapeAscii(b: number): string {
  if (b === 0x22) return '\\"';
  if (b === 0x5c) return '\\\\';
  if (b >= 0x20 && b < 0x7f) return String.fromCharCode(b);
  if (b === 0x0d) return '\\r';
  if (b === 0x0a) return '\\n';
  if (b === 0x09) return '\\t';
  return `\\x${hex2(b)}`;
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}

/** `0x3A` / `0x29B1`: how checksums and ids appear in messages. */
export function hexValue(value: number, digits: number): string {
  return `0x${value.toString(16).toUpperCase().padStart(digits, '0')}`;
}
