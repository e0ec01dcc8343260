/**
 * The MCAP writer's output: bytes are kept in memory until `sync()` writes them at their file
 * offsets and fsyncs. A failed sync keeps them; the next one rewrites the same bytes at the same
 * offsets, so a partial write or a transient error (ENOSPC, EIO) never leaves gaps or duplicates.
 * Rewriting (not just re-fsyncing) also matters on Linux: after a failed fsync the kernel may
 * mark the pages clean, and a second fsync alone would then report success without the data.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { IWritable } from '@mcap/core';

export class FileSink implements IWritable {
  readonly path: string;
  #handle: FileHandle | undefined;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #durableBytes = 0;
  #dirToSync: string | undefined;

  private constructor(path: string, handle: FileHandle, dir: string) {
    this.path = path;
    this.#handle = handle;
    this.#dirToSync = dir;
  }

  /** Creates a new file (fails if it exists); its directory entry is made durable by the first sync. */
  static async create(path: string, dir: string): Promise<FileSink> {
    return new FileSink(path, await open(path, 'wx', 0o644), dir);
  }

  write(buffer: Uint8Array): Promise<void> {
    // McapWriter reuses its buffer after this returns, so keep a copy.
    this.#pending.push(buffer.slice());
    this.#pendingBytes += buffer.byteLength;
    return Promise.resolve();
  }

  position(): bigint {
    return BigInt(this.#durableBytes + this.#pendingBytes);
  }

  get durableBytes(): number {
    return this.#durableBytes;
  }

  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Writes the pending bytes and fsyncs; on error nothing is forgotten and the call can be repeated. */
  async sync(): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) throw new Error(`${this.path}: already closed`);
    if (this.#pendingBytes > 0) {
      const data = Buffer.concat(this.#pending, this.#pendingBytes);
      for (let done = 0; done < data.byteLength;) {
        const { bytesWritten } = await handle.write(
          data,
          done,
          data.byteLength - done,
          this.#durableBytes + done,
        );
        done += bytesWritten;
      }
      await handle.datasync();
      this.#durableBytes += data.byteLength;
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    if (this.#dirToSync !== undefined) {
      await syncDirectory(this.#dirToSync);
      this.#dirToSync = undefined;
    }
  }

  /** Closes the file without writing what is pending (call `sync()` first to keep it). */
  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }
}

/** fsyncs a directory so a created or renamed entry survives power loss; filesystems without it are skipped. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'ENOTSUP') throw error;
  } finally {
    await handle.close();
  }
}
