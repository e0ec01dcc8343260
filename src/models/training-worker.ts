/**
 * Worker-thread entry: trains its share of the ensemble members with its own tfjs
 * instance, posting one progress message per member-epoch, and returns the weights
 * (transferred, not copied). A shared flag lets the parent cancel between minibatches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority } from '../system/thread-priority.js';
import { initTfBackend, type BackendPreference } from './tf-backend.js';
import {
  trainMembers,
  type EpochProgress,
  type MemberTrainingJob,
  type MemberTrainingResult,
} from './member-training.js';

export interface TrainingWorkerData {
  job: MemberTrainingJob;
  stopBuffer: SharedArrayBuffer;
  backend: BackendPreference;
}

export type TrainingWorkerMessage =
  | { type: 'progress'; progress: EpochProgress }
  | { type: 'done'; result: MemberTrainingResult; backend: string }
  | { type: 'error'; message: string; stack?: string };

async function run(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('training-worker must run in a worker thread');
  const data = workerData as TrainingWorkerData;
  const post = (msg: TrainingWorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);
  try {
    // Training is background work: the control loop on the main thread comes first.
    lowerThreadPriority();
    const backend = await initTfBackend({ preference: data.backend, log: () => undefined });
    const stop = new Int32Array(data.stopBuffer);
    const result = trainMembers(data.job, {
      shouldStop: () => Atomics.load(stop, 0) === 1,
      onEpoch: (progress) => post({ type: 'progress', progress }),
    });
    const buffers = result.members.flatMap((m) => m.weights.map((w) => w.data.buffer as ArrayBuffer));
    post({ type: 'done', result, backend: backend.name }, buffers);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    post({ type: 'error', message: e.message, stack: e.stack });
  }
}

void run();
