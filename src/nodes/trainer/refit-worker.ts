/**
 * Worker-thread side of TrainerNode: reads the transition log, refits (training itself fans
 * out to more workers) and scores against the serving artifact, all off the thread that runs
 * the control timer. Only the outcome (version, directory, scores) goes back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadTransitionDataset } from '../../datalog/transition-log-reader.js';
import { loadEnsemble } from '../../models/ensemble-artifact.js';
import { refitEnsemble, type RefitOptions } from '../../models/ensemble-refit.js';
import type { TrainingProgressEvent } from '../../models/ensemble-trainer.js';
import { initTfBackend } from '../../models/tf-backend.js';
import { lowerThreadPriority } from '../../system/thread-priority.js';
import { outcomeFigures, type TrainerOutcome } from './trainer-outcome.js';

export interface RefitWorkerData {
  options: Omit<RefitOptions, 'data' | 'current' | 'onProgress'>;
  logDir: string;
  minTransitions: number;
  /** The serving artifact, to score the refit against. */
  current: { dir: string; version: number } | null;
}

export type RefitWorkerResult =
  { type: 'skipped'; transitions: number } | ({ type: 'outcome' } & TrainerOutcome);

/** Progress while training, then exactly one result. */
export type RefitWorkerMessage = { type: 'progress'; progress: TrainingProgressEvent } | RefitWorkerResult;

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('refit-worker must run in a worker thread');
  const data = workerData as RefitWorkerData;
  lowerThreadPriority();
  try {
    await initTfBackend({ preference: data.options.backend ?? 'auto', log: () => undefined });
    const { spec } = data.options;
    const batch = await loadTransitionDataset(data.logDir, {
      stateDim: spec.stateDim,
      actionDim: spec.actionDim,
    });
    if (batch.count < data.minTransitions) {
      port.postMessage({ type: 'skipped', transitions: batch.count } satisfies RefitWorkerResult);
      return;
    }
    const current = data.current
      ? { dynamics: (await loadEnsemble(data.current.dir)).dynamics, version: data.current.version }
      : null;
    const outcome = await refitEnsemble({
      ...data.options,
      data: batch,
      current,
      onProgress: (progress) => port.postMessage({ type: 'progress', progress } satisfies RefitWorkerMessage),
    });
    current?.dynamics.dispose();
    if (outcome.accepted) outcome.dynamics.dispose();
    port.postMessage({ type: 'outcome', ...outcomeFigures(outcome) } satisfies RefitWorkerResult);
  } catch (error) {
    port.postMessage({
      type: 'outcome',
      accepted: false,
      reason: `refit failed: ${(error as Error).message}`,
    } satisfies RefitWorkerResult);
  }
}

void main();
