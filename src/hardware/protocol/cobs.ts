/**
 * Consistent Overhead Byte Stuffing: S. Cheshire and M. Baker, "Consistent Overhead Byte
 * Stuffing", IEEE/ACM Transactions on Networking 7(2), 1999. Removes every 0x00 from a packet
 * so 0x00 can delimit frames, at a cost of at most one byte per 254.
 *
 * Each block is a code byte n (1..255) followed by n-1 non-zero data bytes; a block with
 * n < 255 stands for its data followed by a 0x00, except the packet's last block (the paper's
 * implicit trailing zero is dropped). A final 254-byte block is not followed by an empty 0x01
 * block (as in the paper's code); the decoder accepts both forms.
 */

/** Upper bound on the encoded size of n bytes (without the 0x00 delimiter). */
export function cobsMaxEncodedLength(n: number): number {
  return n + Math.floor(n / 254) + 1;
}

/** Encodes src[start, end) into out at outOffset (room: cobsMaxEncodedLength); returns bytes written. */
export function cobsEncodeInto(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  outOffset: number,
): number {
  let codeAt = outOffset;
  let w = outOffset + 1;
  let code = 1;
  for (let i = start; i < end; i++) {
    const b = src[i];
    if (b === 0) {
      out[codeAt] = code;
      codeAt = w++;
      code = 1;
    } else {
      out[w++] = b;
      code++;
      // A full block ends without an implied zero; open the next only if data follows.
      if (code === 0xff && i + 1 < end) {
        out[codeAt] = code;
        codeAt = w++;
        code = 1;
      }
    }
  }
  out[codeAt] = code;
  return w - outOffset;
}

/** COBS encoding of bytes[start, end), without the 0x00 delimiter. */
export function cobsEncode(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array {
  const out = new Uint8Array(cobsMaxEncodedLength(end - start));
  return out.slice(0, cobsEncodeInto(bytes, start, end, out, 0));
}

/**
 * Decodes src[start, end) (one frame without its delimiter) into out at outOffset (room:
 * end - start); returns the decoded length, or -1 if the input is not valid COBS (a code byte
 * pointing past the end, or a 0x00 inside). Decoding in place (out === src, outOffset <= start)
 * is safe: the write position never passes the read position.
 */
export function cobsDecodeInto(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  outOffset: number,
): number {
  let r = start;
  let w = outOffset;
  while (r < end) {
    const code = src[r++];
    if (code === 0) return -1;
    const blockEnd = r + code - 1;
    if (blockEnd > end) return -1;
    while (r < blockEnd) {
      const b = src[r++];
      if (b === 0) return -1;
      out[w++] = b;
    }
    if (code !== 0xff && r < end) out[w++] = 0;
  }
  return w - outOffset;
}

/** Decodes one COBS frame (without its delimiter); throws RangeError if it is not valid COBS. */
export function cobsDecode(encoded: Uint8Array, start = 0, end = encoded.length): Uint8Array {
  const out = new Uint8Array(Math.max(0, end - start));
  const n = cobsDecodeInto(encoded, start, end, out, 0);
  if (n < 0) throw new RangeError(`invalid COBS data (${end - start} bytes)`);
  return out.slice(0, n);
}
