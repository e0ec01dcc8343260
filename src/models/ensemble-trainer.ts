/**
 * Fits an ensemble to transitions off the calling thread: builds features and delta
 * targets, holds out a validation split, fits the normalisers on the training split, and
 * trains the members in worker threads (members are independent, so two cores train two
 * members at once). Progress arrives as events; a run can be cancelled. Elites are the
 * members with the lowest holdout MSE.
 */
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Rng } from '../math/rng.js';
import { EnsembleDynamics } from './ensemble-dynamics.js';
import type { HostWeights } from './ensemble-network.js';
import type { EnsembleSpec } from './ensemble-spec.js';
import {
  trainMembers,
  type EpochProgress,
  type MemberTrainingJob,
  type MemberTrainingResult,
  type TrainedMember,
  type TrainingHyperparameters,
} from './member-training.js';
import { Normalizer } from './normalizer.js';
import { StateFeatures } from './state-features.js';
import type { BackendPreference } from './tf-backend.js';
import type { TrainingWorkerData, TrainingWorkerMessage } from './training-worker.js';
import { validateTransitionBatch, type TransitionBatch } from './transition-batch.js';

export interface EnsembleTrainingOptions {
  spec: EnsembleSpec;
  hyper: TrainingHyperparameters;
  /** Fraction of transitions held out for validation and early stopping. */
  holdoutRatio: number;
  /** How many members predict (the best on holdout). */
  elites: number;
  seed: number;
  /** Worker threads; default min(members, cores). 0 trains in the calling thread. */
  workers?: number;
  backend?: BackendPreference;
  /** Continue from these weights (a refit) instead of a fresh initialisation. */
  initialWeights?: HostWeights[];
}

export interface MemberReport {
  member: number;
  val_mse: number | null;
  val_nll: number | null;
  best_epoch: number;
  epochs_run: number;
}

/** What the model card records about a training run. */
export interface TrainingReport {
  transitions: number;
  train_rows: number;
  holdout_rows: number;
  members: MemberReport[];
  elites: number[];
  training_time_s: number;
  workers: number;
  backend: string;
  hyperparameters: TrainingHyperparameters;
  seed: number;
}

export interface TrainedEnsemble {
  dynamics: EnsembleDynamics;
  report: TrainingReport;
}

export interface TrainingProgressEvent extends EpochProgress {
  elapsedSeconds: number;
}

export class TrainingCancelledError extends Error {
  constructor() {
    super('ensemble training was cancelled');
    this.name = 'TrainingCancelledError';
  }
}

/** A training run: emits 'progress' (TrainingProgressEvent); `result` settles when done. */
export class EnsembleTrainingRun extends EventEmitter<{ progress: [TrainingProgressEvent] }> {
  readonly result: Promise<TrainedEnsemble>;
  private readonly stop = new SharedArrayBuffer(4);

  constructor(data: TransitionBatch, options: EnsembleTrainingOptions) {
    super();
    this.result = this.run(data, options);
    // A run nobody awaits must not crash the process with an unhandled rejection.
    this.result.catch(() => undefined);
  }

  cancel(): void {
    Atomics.store(new Int32Array(this.stop), 0, 1);
  }

  private async run(data: TransitionBatch, options: EnsembleTrainingOptions): Promise<TrainedEnsemble> {
    const started = performance.now();
    const { spec } = options;
    validateTransitionBatch(data);
    if (data.stateDim !== spec.stateDim || data.actionDim !== spec.actionDim)
      throw new RangeError(
        `transitions are ${data.stateDim}-d states and ${data.actionDim}-d actions; the model expects ${spec.stateDim} and ${spec.actionDim}`,
      );
    if (!(options.elites >= 1 && options.elites <= spec.members))
      throw new RangeError(`elites must be between 1 and ${spec.members}, got ${options.elites}`);
    const features = new StateFeatures(spec);
    const inputs = features.inputs(data.states, data.actions);
    const targets = features.targets(data.states, data.nextStates);
    const { trainIndices, valIndices } = split(data.count, options.holdoutRatio, new Rng(options.seed));
    const inputNormalizer = Normalizer.fit(
      gatherRows(inputs, features.inputDim, trainIndices),
      features.inputDim,
    );
    const targetNormalizer = Normalizer.fit(gatherRows(targets, spec.stateDim, trainIndices), spec.stateDim);
    const baseJob = {
      spec,
      seed: options.seed,
      inputs: inputNormalizer.apply(inputs),
      targets: targetNormalizer.apply(targets),
      trainIndices,
      valIndices,
      hyper: options.hyper,
    };
    const workers = Math.min(spec.members, options.workers ?? availableParallelism());
    const shares = Array.from({ length: Math.max(1, workers) }, (_, w) =>
      Array.from({ length: spec.members }, (_, m) => m).filter((m) => m % Math.max(1, workers) === w),
    ).filter((s) => s.length > 0);
    const onProgress = (p: EpochProgress) =>
      this.emit('progress', { ...p, elapsedSeconds: (performance.now() - started) / 1000 });
    const initialFor = (ids: number[]) =>
      options.initialWeights?.filter((w) => ids.some((m) => w.name.startsWith(`member${m}/`)));

    let results: MemberTrainingResult[];
    let backend: string;
    if (workers === 0) {
      const { getBackend } = await import('@tensorflow/tfjs');
      backend = getBackend();
      const ids = shares[0];
      results = [
        trainMembers(
          { ...baseJob, memberIds: ids, initialWeights: initialFor(ids) },
          { shouldStop: () => Atomics.load(new Int32Array(this.stop), 0) === 1, onEpoch: onProgress },
        ),
      ];
    } else {
      const outcomes = await Promise.all(
        shares.map((ids) =>
          runWorker(
            { ...baseJob, memberIds: ids, initialWeights: initialFor(ids) },
            this.stop,
            options.backend ?? 'auto',
            onProgress,
          ),
        ),
      );
      results = outcomes.map((o) => o.result);
      backend = outcomes[0].backend;
    }
    if (results.some((r) => r.cancelled)) throw new TrainingCancelledError();
    const members = results.flatMap((r) => r.members).sort((a, b) => a.member - b.member);
    const elites = selectElites(members, options.elites);
    const weights = members.flatMap((m) => m.weights);
    const dynamics = EnsembleDynamics.fromWeights(spec, weights, inputNormalizer, targetNormalizer, elites);
    return {
      dynamics,
      report: {
        transitions: data.count,
        train_rows: trainIndices.length,
        holdout_rows: valIndices.length,
        members: members.map((m) => ({
          member: m.member,
          // A diverged member has no finite loss; JSON has no Infinity, so it is recorded as null.
          val_mse: Number.isFinite(m.valMse) ? m.valMse : null,
          val_nll: Number.isFinite(m.valNll) ? m.valNll : null,
          best_epoch: m.bestEpoch,
          epochs_run: m.epochsRun,
        })),
        elites,
        training_time_s: (performance.now() - started) / 1000,
        workers,
        backend,
        hyperparameters: options.hyper,
        seed: options.seed,
      },
    };
  }
}

/** Starts training; see EnsembleTrainingRun. */
export function trainEnsemble(data: TransitionBatch, options: EnsembleTrainingOptions): EnsembleTrainingRun {
  return new EnsembleTrainingRun(data, options);
}

function runWorker(
  job: MemberTrainingJob,
  stopBuffer: SharedArrayBuffer,
  backend: BackendPreference,
  onProgress: (p: EpochProgress) => void,
): Promise<{ result: MemberTrainingResult; backend: string }> {
  return new Promise((resolve, reject) => {
    const workerData: TrainingWorkerData = { job, stopBuffer, backend };
    const worker = new Worker(new URL('./training-worker.js', import.meta.url), { workerData });
    let settled = false;
    worker.on('message', (msg: TrainingWorkerMessage) => {
      if (msg.type === 'progress') onProgress(msg.progress);
      else if (msg.type === 'done') {
        settled = true;
        resolve({ result: msg.result, backend: msg.backend });
        void worker.terminate();
      } else {
        settled = true;
        reject(new Error(`training worker for members ${job.memberIds.join(', ')} failed: ${msg.message}`));
        void worker.terminate();
      }
    });
    worker.on('error', (error) => {
      if (!settled)
        reject(
          new Error(`training worker for members ${job.memberIds.join(', ')} crashed: ${error.message}`),
        );
      settled = true;
    });
    worker.on('exit', (code) => {
      if (!settled)
        reject(new Error(`training worker for members ${job.memberIds.join(', ')} exited with code ${code}`));
      settled = true;
    });
  });
}

/** The k members with the lowest finite holdout MSE (ties by member id). */
export function selectElites(members: readonly TrainedMember[], k: number): number[] {
  return [...members]
    .sort(
      (a, b) =>
        (Number.isFinite(a.valMse) ? a.valMse : Infinity) -
          (Number.isFinite(b.valMse) ? b.valMse : Infinity) || a.member - b.member,
    )
    .slice(0, k)
    .map((m) => m.member)
    .sort((a, b) => a - b);
}

function split(
  count: number,
  holdoutRatio: number,
  rng: Rng,
): { trainIndices: Int32Array; valIndices: Int32Array } {
  if (!(holdoutRatio >= 0 && holdoutRatio < 1))
    throw new RangeError(`holdout ratio must be in [0, 1), got ${holdoutRatio}`);
  const perm = rng.permutation(count);
  const nVal = Math.min(count - 1, Math.round(count * holdoutRatio));
  return { valIndices: perm.slice(0, nVal).sort(), trainIndices: perm.slice(nVal).sort() };
}

function gatherRows(data: Float32Array, width: number, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => out.set(data.subarray(r * width, (r + 1) * width), i * width));
  return out;
}
