/**
 * The robot's transition logger: `append()` one record per control tick, and the records are
 * written to MCAP files in `dir` and made durable (written and fsynced) at least every
 * `flushIntervalS`, so a crash or SIGKILL loses at most the last interval.
 *
 * `append()` only validates and encodes (no disk I/O); a timer does the writing. Disk errors
 * (ENOSPC, EACCES, EIO, ...) never escape the timer: they are kept in `stats.lastError`, the
 * records wait in a bounded queue (the oldest are dropped and counted when it is full) and the
 * next flush retries. Files are rotated before they would exceed `rotateBytes`; a rotated file is
 * finished (summary, indexes, footer). On open, unfinished files left by a crash are recovered in
 * place, and new data always goes to a new file named `<prefix>-<UTC time>-<seq>.mcap`.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LogDirLock } from './log-dir-lock.js';
import { openIndexedMcap } from './mcap-file-readable.js';
import { NotMcapError } from './mcap-stream-scan.js';
import type { TransitionLogTask, TransitionRecord } from './transition-record.js';
import { TransitionLogFile } from './transition-log-file.js';
import {
  RECOVERED_SUFFIX,
  recoverTransitionLogFile,
  removeStaleRecoveryFile,
  type RecoveryReport,
} from './transition-log-recovery.js';
import { checkTask, checkTransitionWire, encodeTransitionWire, toWire } from './transition-wire.js';

export interface TransitionLogWriterOptions {
  /** Directory of the log; created if missing. */
  dir: string;
  task: TransitionLogTask;
  /** Records are durable at most this long (plus the time to write them) after `append()`. */
  flushIntervalS: number;
  /** A file is finished and a new one started before it would grow past this size (>= 4096). */
  rotateBytes: number;
  /** File name prefix (default `transitions`). */
  filePrefix?: string;
  /** Records kept in memory while the disk fails; beyond this the oldest are dropped (default 100000). */
  maxQueuedRecords?: number;
  /** Wall clock in milliseconds since the epoch, for file names and MCAP log times (default Date.now). */
  now?: () => number;
  /** Called for each unfinished file recovered by `open()`. */
  onRecover?: (report: RecoveryReport) => void;
}

export interface TransitionLogStats {
  /** Records accepted by `append()`. */
  appended: number;
  /** Records written and fsynced. */
  durable: number;
  /** Records dropped from the full queue while the disk was failing. */
  dropped: number;
  /** Records waiting to be made durable. */
  queued: number;
  /** Files this writer created. */
  files: number;
  /** Bytes written and fsynced by this writer. */
  bytes: number;
  /** The most recent disk error (kept after the disk recovers; see `failing`). */
  lastError: Error | undefined;
  /** True while the last write attempt failed. */
  failing: boolean;
  /** Unfinished files recovered by `open()`. */
  recovered: RecoveryReport[];
}

interface QueuedRecord {
  data: Uint8Array;
  logTime: bigint;
  publishTime: bigint;
}

const encoder = new TextEncoder();
const MIN_ROTATE_BYTES = 4096;

export class TransitionLogWriter {
  readonly dir: string;
  readonly task: TransitionLogTask;
  readonly #rotateBytes: number;
  readonly #prefix: string;
  readonly #maxQueued: number;
  readonly #now: () => number;
  readonly #queue = new RecordQueue();
  /** Undefined while the directory could not be locked (e.g. read-only); each flush retries. */
  #lock: LogDirLock | undefined;
  #timer: NodeJS.Timeout | undefined;
  #file: TransitionLogFile | undefined;
  /** Records added to the current file but not yet synced. */
  #unsynced = 0;
  #closedFileBytes = 0;
  #fileSeq = 0;
  #lastLogTime = 0n;
  #chain: Promise<unknown> = Promise.resolve();
  #busy = 0;
  #closed = false;
  readonly #stats: Omit<TransitionLogStats, 'queued' | 'bytes' | 'recovered'> = {
    appended: 0,
    durable: 0,
    dropped: 0,
    files: 0,
    lastError: undefined,
    failing: false,
  };
  readonly #recovered: RecoveryReport[] = [];

  private constructor(options: TransitionLogWriterOptions, lock: LogDirLock | undefined) {
    this.dir = options.dir;
    this.task = {
      name: options.task.name,
      stateNames: [...options.task.stateNames],
      actionNames: [...options.task.actionNames],
    };
    this.#rotateBytes = options.rotateBytes;
    this.#prefix = options.filePrefix ?? 'transitions';
    this.#maxQueued = options.maxQueuedRecords ?? 100_000;
    this.#now = options.now ?? Date.now;
    this.#lock = lock;
  }

  /**
   * Opens a log directory: recovers unfinished files and starts the flush timer. Bad options
   * throw a RangeError, as does a directory another live writer has open; disk errors while
   * recovering are reported in `stats.lastError` and the writer still opens.
   */
  static async open(options: TransitionLogWriterOptions): Promise<TransitionLogWriter> {
    checkOptions(options);
    await mkdir(options.dir, { recursive: true });
    let lock: LogDirLock | undefined;
    let lockError: Error | undefined;
    try {
      lock = LogDirLock.acquire(options.dir);
    } catch (error) {
      if (error instanceof RangeError) throw error;
      lockError = error as Error; // e.g. EACCES: nothing can be written there yet either
    }
    const writer = new TransitionLogWriter(options, lock);
    if (lockError !== undefined) writer.#recordError(lockError);
    await writer.#recover(options.onRecover);
    writer.#timer = setInterval(() => {
      if (writer.#busy === 0) void writer.flush();
    }, options.flushIntervalS * 1000);
    writer.#timer.unref();
    return writer;
  }

  /**
   * Queues one record; throws a RangeError naming the field when it is invalid (non-finite
   * number, wrong dimension, unknown source, ...), and the record is not written.
   */
  append(record: TransitionRecord): void {
    if (this.#closed) throw new Error(`transition log ${this.dir}: append after close`);
    const check = checkTransitionWire(toWire(record), this.task);
    if (!check.ok) throw new RangeError(`transition: ${check.field}: ${check.message}`);
    let logTime = BigInt(Math.round(this.#now() * 1e6));
    // Monotonic log times keep McapIndexedReader's time-ordered reading in append order.
    if (logTime < this.#lastLogTime) logTime = this.#lastLogTime;
    this.#lastLogTime = logTime;
    this.#queue.push({
      data: encoder.encode(encodeTransitionWire(check.value)),
      logTime,
      publishTime: BigInt(Math.round(check.value.stamp * 1e9)),
    });
    this.#stats.appended++;
    if (this.#queue.length > this.#maxQueued) {
      this.#queue.shift();
      this.#stats.dropped++;
    }
  }

  /**
   * Writes and fsyncs everything appended so far. Never rejects on disk errors: resolves true
   * when all of it is durable, false when an error (in `stats.lastError`) left records queued.
   */
  flush(): Promise<boolean> {
    return this.#serial(() => this.#flushOnce());
  }

  /** Records kept in memory while the disk fails before the oldest are dropped. */
  get maxQueuedRecords(): number {
    return this.#maxQueued;
  }

  get stats(): TransitionLogStats {
    return {
      ...this.#stats,
      queued: this.#queue.length + this.#unsynced,
      bytes: this.#closedFileBytes + (this.#file?.durableBytes ?? 0),
      recovered: [...this.#recovered],
    };
  }

  /**
   * Flushes, finishes the current file and stops the timer. Rejects when records could not be
   * made durable (they are lost with the process); the unfinished file is recovered on next open.
   */
  async close(): Promise<TransitionLogStats> {
    if (this.#closed) return this.stats;
    this.#closed = true;
    clearInterval(this.#timer);
    const ok = await this.#serial(async () => {
      const flushed = await this.#flushOnce();
      if (this.#file === undefined) return flushed;
      try {
        await this.#finishFile();
        return flushed;
      } catch (error) {
        this.#recordError(error);
        await this.#file?.abandon();
        this.#file = undefined;
        return false;
      }
    });
    this.#lock?.release();
    const stats = this.stats;
    if (!ok || stats.queued > 0) {
      const reason = stats.lastError?.message ?? 'unknown error';
      throw new Error(`transition log ${this.dir}: ${stats.queued} records not written: ${reason}`);
    }
    return stats;
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    this.#busy++;
    const run = this.#chain.then(task).finally(() => this.#busy--);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #flushOnce(): Promise<boolean> {
    try {
      // A directory that was unwritable at open is locked before its first write, so a writer
      // that opened meanwhile is never written over (acquire throws while it lives).
      this.#lock ??= LogDirLock.acquire(this.dir);
      if (this.#file?.ended) await this.#finishFile(); // a rotation that failed half-way
      if (this.#file !== undefined && this.#unsynced > 0) await this.#syncFile(this.#file);
      // Only what is queued now: under a sustained append rate the flush must still end.
      let budget = this.#queue.length;
      while (budget > 0) {
        const file = this.#file ?? (await this.#newFile());
        for (let next = this.#queue.peek(); budget > 0 && next !== undefined; next = this.#queue.peek()) {
          if (file.messages > 0 && file.wouldExceed(next.data.byteLength, this.#rotateBytes)) break;
          this.#queue.shift();
          budget--;
          this.#unsynced++;
          await file.add(next.data, next.logTime, next.publishTime);
        }
        await this.#syncFile(file);
        if (budget > 0) await this.#finishFile();
      }
      this.#stats.failing = false;
      return true;
    } catch (error) {
      this.#recordError(error);
      return false;
    }
  }

  async #syncFile(file: TransitionLogFile): Promise<void> {
    await file.sync();
    this.#stats.durable += this.#unsynced;
    this.#unsynced = 0;
  }

  async #finishFile(): Promise<void> {
    const file = this.#file;
    if (file === undefined) return;
    await file.finish();
    this.#closedFileBytes += file.durableBytes;
    this.#file = undefined;
  }

  async #newFile(): Promise<TransitionLogFile> {
    const time = new Date(this.#now()).toISOString().replace(/[-:]/g, '');
    const name = `${this.#prefix}-${time}-${String(this.#fileSeq++).padStart(4, '0')}.mcap`;
    this.#file = await TransitionLogFile.create(join(this.dir, name), this.dir, this.task);
    this.#stats.files++;
    return this.#file;
  }

  async #recover(onRecover: ((report: RecoveryReport) => void) | undefined): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.mcap')).sort();
    } catch (error) {
      this.#recordError(error);
      return;
    }
    for (const name of names) {
      const path = join(this.dir, name);
      try {
        if (name.endsWith(RECOVERED_SUFFIX) && (await removeStaleRecoveryFile(path))) continue;
        const indexed = await openIndexedMcap(path);
        if (indexed !== undefined) {
          await indexed.close();
          continue;
        }
        const report = await recoverTransitionLogFile(path, this.task);
        this.#recovered.push(report);
        onRecover?.(report);
      } catch (error) {
        // A foreign or unreadable file is left alone; the log's own files are still recovered.
        this.#recordError(error instanceof NotMcapError ? new Error(`${path}: ${error.message}`) : error);
      }
    }
  }

  #recordError(error: unknown): void {
    this.#stats.lastError = error instanceof Error ? error : new Error(String(error));
    this.#stats.failing = true;
  }
}

function checkOptions(options: TransitionLogWriterOptions): void {
  const problem = (field: string, message: string) => new RangeError(`transition log: ${field}: ${message}`);
  const taskProblem = checkTask(options.task);
  if (taskProblem !== undefined) throw new RangeError(`transition log: ${taskProblem}`);
  if (!(options.flushIntervalS > 0 && Number.isFinite(options.flushIntervalS)))
    throw problem('flushIntervalS', `must be a positive number of seconds, got ${options.flushIntervalS}`);
  if (!(Number.isFinite(options.rotateBytes) && options.rotateBytes >= MIN_ROTATE_BYTES))
    throw problem('rotateBytes', `must be at least ${MIN_ROTATE_BYTES}, got ${options.rotateBytes}`);
  const max = options.maxQueuedRecords;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1))
    throw problem('maxQueuedRecords', `must be a positive integer, got ${max}`);
  if (options.filePrefix !== undefined && !/^[A-Za-z0-9_.-]+$/.test(options.filePrefix))
    throw problem('filePrefix', `must be letters, digits, "_", "." or "-", got "${options.filePrefix}"`);
}

/** FIFO with O(1) shift (an array's shift copies the rest, and the queue can hold 10^5 records). */
class RecordQueue {
  #items: (QueuedRecord | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: QueuedRecord): void {
    this.#items.push(item);
  }

  peek(): QueuedRecord | undefined {
    return this.#items[this.#head];
  }

  shift(): QueuedRecord | undefined {
    const item = this.#items[this.#head];
    if (item === undefined) return undefined;
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}
