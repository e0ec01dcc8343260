/**
 * Reads an MCAP file front to back with McapStreamReader and stops cleanly where the readable
 * data ends: at the end of the file, at a record cut off by a crash, or at the first record that
 * does not parse (a torn write). Used for unfinished files, by the reader and by recovery.
 */
import { open } from 'node:fs/promises';
import { McapStreamReader, type TypedMcapRecord } from '@mcap/core';

const MAGIC = [0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a]; // "\x89MCAP0\r\n"
const BLOCK = 1 << 20;

export interface McapScan {
  /** File size in bytes. */
  size: number;
  /** Offset just past the last complete record read; equals `size` for an intact file. */
  stoppedAt: number;
  /** True when the footer and closing magic were read (the file was finished). */
  complete: boolean;
  /** Why reading stopped before the end, when it was not simply cut off. */
  error?: string;
}

export class NotMcapError extends Error {}

/**
 * Calls `onRecord` for every complete record (chunks are opened; their messages come out in
 * order) with the offset just past the top-level record that holds it. Throws NotMcapError when the file does not start with the MCAP magic; errors thrown by
 * `onRecord` propagate.
 */
export async function scanMcapFile(
  path: string,
  onRecord: (record: TypedMcapRecord, end: number) => void,
): Promise<McapScan> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const reader = new McapStreamReader({ validateCrcs: true });
    const block = new Uint8Array(Math.min(BLOCK, Math.max(size, 1)));
    let fed = 0;
    let stoppedAt = 0;
    let checkedMagic = false;
    while (fed < size) {
      const { bytesRead } = await handle.read(block, 0, block.byteLength, fed);
      if (bytesRead === 0) break;
      if (!checkedMagic) {
        checkMagic(block.subarray(0, Math.min(bytesRead, MAGIC.length)), size);
        checkedMagic = true;
      }
      fed += bytesRead;
      reader.append(block.subarray(0, bytesRead));
      for (;;) {
        let record: TypedMcapRecord | undefined;
        try {
          record = reader.nextRecord();
        } catch (error) {
          return { size, stoppedAt, complete: false, error: (error as Error).message };
        }
        if (record === undefined) break;
        stoppedAt = fed - reader.bytesRemaining();
        onRecord(record, stoppedAt);
      }
      if (reader.done()) return { size, stoppedAt: fed - reader.bytesRemaining(), complete: true };
    }
    return { size, stoppedAt, complete: false };
  } finally {
    await handle.close();
  }
}

/** A file shorter than the magic is a file cut off right after creation if what is there matches. */
function checkMagic(prefix: Uint8Array, size: number): void {
  const expected = Math.min(MAGIC.length, size);
  for (let i = 0; i < expected; i++)
    if (prefix[i] !== MAGIC[i]) throw new NotMcapError('not an MCAP file (no MCAP magic at the start)');
}
