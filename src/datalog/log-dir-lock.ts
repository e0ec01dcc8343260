/**
 * One writer per log directory. Recovery on open rewrites every unfinished file, so a second
 * writer on a directory another live process is writing would "recover" that process's current
 * file under it. The lock is a file holding the owner's pid; a lock left by a dead process (a
 * crash, SIGKILL) is taken over.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const LOCK_FILE = '.transition-log.lock';

/** Directories locked by writers of this process (the pid in the file cannot tell them apart). */
const heldHere = new Set<string>();

export class LogDirLock {
  readonly #path: string;
  readonly #key: string;
  #released = false;

  private constructor(path: string, key: string) {
    this.#path = path;
    this.#key = key;
  }

  /**
   * Takes the lock. Throws a RangeError when a live writer holds it; other errors (an unwritable
   * directory) propagate as they are.
   */
  static acquire(dir: string): LogDirLock {
    const key = resolve(dir);
    const path = join(key, LOCK_FILE);
    if (heldHere.has(key))
      throw new RangeError(`${dir}: a transition log writer in this process has it open`);
    for (let attempt = 0; ; attempt++) {
      try {
        writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
        const owner = readOwner(path);
        if (owner !== undefined && owner !== process.pid && isAlive(owner))
          throw new RangeError(`${dir}: a transition log writer (pid ${owner}) has it open (${LOCK_FILE})`, {
            cause: error,
          });
        try {
          unlinkSync(path);
        } catch (unlinkError) {
          if ((unlinkError as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkError;
        }
      }
    }
    heldHere.add(key);
    return new LogDirLock(path, key);
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    heldHere.delete(this.#key);
    try {
      unlinkSync(this.#path);
    } catch {
      // Already gone or the directory became unwritable; a stale lock is taken over next time.
    }
  }
}

function readOwner(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
