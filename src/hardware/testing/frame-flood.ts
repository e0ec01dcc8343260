/**
 * A flooding board for fault-injection tests: a worker thread writes sensor frames of a
 * serial device's protocol to the device end of a pty pair at a fixed rate (e.g. ten times
 * the declared one), independently of the main thread's event loop, as a separate board
 * would. Each frame carries a sequence number (modulo `seqModulo`) in one field, every other
 * field is zero, and the newest sequence number written is shared with the main thread, so a
 * test can tell exactly how many frames behind the state a driver publishes is. Bytes from the
 * host (commands) are read and discarded so they never back up.
 */
import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import type { SerialDevice } from '../../config/device-schema.js';
import { WireProtocol } from '../protocol/wire-protocol.js';

export interface FrameFloodOptions {
  /** The device end of the pty pair. */
  path: string;
  device: SerialDevice;
  rateHz: number;
  /** The sensor field that carries the sequence number. */
  seqField: string;
  seqModulo: number;
}

interface FloodWorkerData extends FrameFloodOptions {
  kind: 'frame-flood';
  shared: SharedArrayBuffer;
}

// Slots of the shared Int32Array.
const LATEST = 0;
const WRITTEN = 1;
const REFUSED = 2;
const STOP = 3;
const SLEEP = 4;
const SLOTS = 5;

export class FrameFlood {
  private readonly cells: Int32Array;
  private readonly exited: Promise<void>;
  private failure: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    shared: SharedArrayBuffer,
  ) {
    this.cells = new Int32Array(shared);
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('error', (err) => (this.failure = err));
  }

  static start(options: FrameFloodOptions): FrameFlood {
    const fieldNames = options.device.sensor_frame.fields.map((f) => f.name);
    if (!fieldNames.includes(options.seqField))
      throw new RangeError(`no sensor field "${options.seqField}" (fields: ${fieldNames.join(', ')})`);
    const shared = new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT);
    new Int32Array(shared)[LATEST] = -1;
    const data: FloodWorkerData = { ...options, kind: 'frame-flood', shared };
    return new FrameFlood(new Worker(new URL(import.meta.url), { workerData: data }), shared);
  }

  /** Sequence number of the newest frame written (modulo seqModulo), -1 before the first. */
  get latestSeq(): number {
    return Atomics.load(this.cells, LATEST);
  }

  get framesWritten(): number {
    return Atomics.load(this.cells, WRITTEN);
  }

  /** Frames the pty refused (its buffer full: the host was not reading). */
  get framesRefused(): number {
    return Atomics.load(this.cells, REFUSED);
  }

  /** Frames `seq` is behind the newest written, modulo seqModulo. */
  framesBehind(seq: number, modulo: number): number {
    return (((this.latestSeq - seq) % modulo) + modulo) % modulo;
  }

  async stop(): Promise<void> {
    Atomics.store(this.cells, STOP, 1);
    Atomics.notify(this.cells, SLEEP);
    await this.exited;
    if (this.failure) throw this.failure;
  }
}

function runWorker(data: FloodWorkerData): void {
  const cells = new Int32Array(data.shared);
  const protocol = WireProtocol.forDevice(data.device);
  const seqIndex = data.device.sensor_frame.fields.findIndex((f) => f.name === data.seqField);
  const raw = new Float64Array(protocol.sensorFieldCount);
  // Non-blocking: a full pty refuses the frame (counted) instead of stalling the board.
  const fd = openSync(data.path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  const sink = Buffer.alloc(4096);
  const start = performance.now();
  let seq = 0;
  try {
    while (Atomics.load(cells, STOP) === 0) {
      const due = Math.floor(((performance.now() - start) * data.rateHz) / 1000);
      while (seq < due) {
        raw[seqIndex] = seq % data.seqModulo;
        // Published before the write: the host may read the frame before this thread runs on.
        const previous = Atomics.exchange(cells, LATEST, seq % data.seqModulo);
        if (writeFrame(fd, protocol.encodeSensor(raw))) Atomics.add(cells, WRITTEN, 1);
        else {
          Atomics.store(cells, LATEST, previous);
          Atomics.add(cells, REFUSED, 1);
        }
        seq++;
      }
      drain(fd, sink);
      Atomics.wait(cells, SLEEP, 0, 1);
    }
  } finally {
    closeSync(fd);
  }
}

/** Writes one whole frame, or nothing if the pty has no room; false when refused. */
function writeFrame(fd: number, frame: Uint8Array): boolean {
  let written: number;
  try {
    written = writeSync(fd, frame);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return false;
    throw err;
  }
  // A frame cut in half would read as garbage: finish it, however long the host takes.
  while (written < frame.length) {
    try {
      written += writeSync(fd, frame, written);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
  return true;
}

function drain(fd: number, sink: Buffer): void {
  try {
    while (readSync(fd, sink) > 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
  }
}

if (!isMainThread && (workerData as { kind?: string } | null)?.kind === 'frame-flood')
  runWorker(workerData as FloodWorkerData);
