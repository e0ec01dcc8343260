/** Random access to a file for McapIndexedReader. */
import { open, type FileHandle } from 'node:fs/promises';
import { McapIndexedReader, type IReadable } from '@mcap/core';

export class McapFileReadable implements IReadable {
  #handle: FileHandle;
  #size: bigint;

  constructor(handle: FileHandle, size: number) {
    this.#handle = handle;
    this.#size = BigInt(size);
  }

  size(): Promise<bigint> {
    return Promise.resolve(this.#size);
  }

  async read(offset: bigint, size: bigint): Promise<Uint8Array> {
    if (offset + size > this.#size)
      throw new RangeError(`read of ${size} bytes at ${offset} is past the end (${this.#size} bytes)`);
    const buffer = new Uint8Array(Number(size));
    for (let done = 0; done < buffer.byteLength;) {
      const { bytesRead } = await this.#handle.read(
        buffer,
        done,
        buffer.byteLength - done,
        Number(offset) + done,
      );
      if (bytesRead === 0) throw new RangeError(`unexpected end of file at ${Number(offset) + done}`);
      done += bytesRead;
    }
    return buffer;
  }
}

/** A finished MCAP file opened with McapIndexedReader; `close()` releases the file. */
export interface IndexedMcap {
  reader: McapIndexedReader;
  size: number;
  close(): Promise<void>;
}

/**
 * Opens `path` with McapIndexedReader, or returns undefined when the file has no valid footer and
 * summary (an unfinished file, to be read front to back instead).
 */
export async function openIndexedMcap(path: string): Promise<IndexedMcap | undefined> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const reader = await McapIndexedReader.Initialize({ readable: new McapFileReadable(handle, size) });
    return { reader, size, close: () => handle.close() };
  } catch {
    await handle.close();
    return undefined;
  }
}
