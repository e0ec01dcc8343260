/**
 * One writer per log directory. Recovery on open rewrites every unfinished file, so a second
 * writer on a directory another live process is writing would "recover" that process's current
 * file under it. The lock is a file holding the owner's pid (and, on Linux, the boot id and the
 * process start time); a lock left by a dead process (a crash, SIGKILL) is taken over, also when
 * its pid now belongs to another process (after a reboot or in a restarted container pids repeat).
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
        const identity = processIdentity(process.pid);
        writeFileSync(path, `${process.pid}\n${identity === undefined ? '' : `${identity}\n`}`, {
          flag: 'wx',
        });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
        const owner = readOwner(path);
        if (owner !== undefined && owner.pid !== process.pid && isOwnerAlive(owner))
          throw new RangeError(
            `${dir}: a transition log writer (pid ${owner.pid}) has it open (${LOCK_FILE})`,
            { cause: error },
          );
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

interface LockOwner {
  pid: number;
  /** `<boot id> <start time>` of the process that wrote the lock (Linux); absent in older locks. */
  identity?: string;
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const [pidLine, identity] = readFileSync(path, 'utf8').split('\n');
    const pid = Number.parseInt(pidLine, 10);
    if (!(Number.isInteger(pid) && pid > 0)) return undefined;
    return identity ? { pid, identity } : { pid };
  } catch {
    return undefined;
  }
}

/** The owner still runs: its pid is alive and, when the lock recorded it, is the same process. */
function isOwnerAlive(owner: LockOwner): boolean {
  if (!isAlive(owner.pid)) return false;
  if (owner.identity === undefined) return true;
  const now = processIdentity(owner.pid);
  // Unreadable (another user's process under hidepid): keep the conservative answer.
  return now === undefined || now === owner.identity;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let bootId: string | null | undefined;

/**
 * `<boot id> <start time in clock ticks>` of a process on Linux (/proc), undefined elsewhere: a
 * pid plus its start time names one process, where a pid alone is reused.
 */
export function processIdentity(pid: number): string | undefined {
  try {
    bootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    bootId = null;
  }
  if (bootId === null) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its ')'.
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]; // field 22, starttime
    return start ? `${bootId} ${start}` : undefined;
  } catch {
    return undefined;
  }
}
