/**
 * One refit of the serving model: train a new ensemble on the logged transitions (off the
 * calling thread, see trainEnsemble), score it and the serving model on the same stable
 * holdout (transition-split.ts), and write it as the next versioned artifact only when it
 * predicts at least as well. A failed or worse refit is reported, nothing is written and
 * the serving model stays (design: "a failed or worse refit never replaces a working model").
 */
import { nonFiniteWeights, saveEnsemble } from './ensemble-artifact.js';
import type { EnsembleDynamics } from './ensemble-dynamics.js';
import type { EnsembleSpec } from './ensemble-spec.js';
import { trainEnsemble, type TrainingProgressEvent, type TrainingReport } from './ensemble-trainer.js';
import type { TrainingHyperparameters } from './member-training.js';
import { nextVersionDir } from './model-artifact.js';
import { predictionError } from './prediction-error.js';
import type { BackendPreference } from './tf-backend.js';
import type { TransitionBatch } from './transition-batch.js';
import { splitTransitions } from './transition-split.js';

export interface RefitOptions {
  data: TransitionBatch;
  spec: EnsembleSpec;
  hyper: TrainingHyperparameters;
  elites: number;
  /** Share of transitions held out (stable across refits) for acceptance. */
  holdoutRatio: number;
  seed: number;
  /** Where versioned artifacts (v0001, v0002, ...) are written. */
  modelsDir: string;
  /** The serving model, if any. */
  current: { dynamics: EnsembleDynamics; version: number } | null;
  /** Start from the serving model's weights when its layout matches (faster refits). */
  warmStart?: boolean;
  /** Accept when new error <= serving error x (1 + tolerance); default 0. */
  tolerance?: number;
  /**
   * A refit whose holdout error exceeds this has diverged and is never accepted, even with no
   * serving model to compare against (1 = no better than predicting the mean change); default
   * 100, far above an undertrained model (1-2) and far below a diverged one (1e5 and up).
   */
  maxHoldoutError?: number;
  workers?: number;
  backend?: BackendPreference;
  onProgress?: (event: TrainingProgressEvent) => void;
}

export interface RefitScores {
  /** Normalised one-step error of the new model on the holdout (prediction-error.ts). */
  holdoutError: number;
  /** The serving model's on the same rows (null when there is none). */
  servingHoldoutError: number | null;
  holdoutRows: number;
  transitions: number;
  trainingSeconds: number;
}

export type RefitOutcome =
  | ({
      accepted: true;
      version: number;
      dir: string;
      dynamics: EnsembleDynamics;
      report: TrainingReport;
    } & RefitScores)
  | ({ accepted: false; reason: string } & Partial<RefitScores>);

const DEFAULT_MAX_HOLDOUT_ERROR = 100;

export async function refitEnsemble(options: RefitOptions): Promise<RefitOutcome> {
  const started = performance.now();
  const { data, spec, current } = options;
  const { train, holdout } = splitTransitions(data, options.holdoutRatio, options.seed);
  if (train.count < 2) return { accepted: false, reason: `only ${train.count} training transitions` };
  // With too little data for a holdout, both models are scored on everything.
  const scoreOn = holdout.count >= 10 ? holdout : data;
  const sameLayout = current !== null && JSON.stringify(current.dynamics.spec) === JSON.stringify(spec);
  let trained;
  try {
    const run = trainEnsemble(train, {
      spec,
      hyper: options.hyper,
      holdoutRatio: options.holdoutRatio,
      elites: options.elites,
      seed: options.seed,
      workers: options.workers,
      backend: options.backend,
      initialWeights: options.warmStart && sameLayout ? current.dynamics.namedWeights() : undefined,
    });
    if (options.onProgress) run.on('progress', options.onProgress);
    trained = await run.result;
  } catch (error) {
    return { accepted: false, reason: `training failed: ${(error as Error).message}` };
  }
  const scores: RefitScores = {
    holdoutError: predictionError(trained.dynamics, scoreOn).normalizedMse,
    servingHoldoutError: current ? predictionError(current.dynamics, scoreOn).normalizedMse : null,
    holdoutRows: scoreOn.count,
    transitions: data.count,
    trainingSeconds: (performance.now() - started) / 1000,
  };
  const reject = (reason: string): RefitOutcome => {
    trained.dynamics.dispose();
    return { accepted: false, reason, ...scores };
  };
  // A learning rate far too high ends in NaN, or in finite weights so large that the error is
  // astronomical (1e5-1e17 seen at rates of 1-100): both are divergence, whatever is serving.
  const bound = options.maxHoldoutError ?? DEFAULT_MAX_HOLDOUT_ERROR;
  if (!Number.isFinite(scores.holdoutError) || scores.holdoutError > bound)
    return reject(`the refit diverged (holdout error ${scores.holdoutError}, the bound is ${bound})`);
  const nonFinite = nonFiniteWeights(trained.dynamics.namedWeights());
  if (nonFinite)
    return reject(`the refit diverged (${nonFinite.name} has ${nonFinite.count} non-finite weights)`);
  const serving = scores.servingHoldoutError;
  if (
    serving !== null &&
    Number.isFinite(serving) &&
    scores.holdoutError > serving * (1 + (options.tolerance ?? 0))
  )
    return reject(
      `the refit predicts worse than version ${current?.version} on the same ${scoreOn.count} holdout transitions (${scores.holdoutError.toFixed(4)} > ${serving.toFixed(4)})`,
    );
  const { dir, version } = nextVersionDir(options.modelsDir);
  try {
    await saveEnsemble(dir, trained.dynamics, {
      version,
      report: trained.report,
      extra: {
        holdout_error: scores.holdoutError,
        previous_version: current?.version ?? null,
        previous_holdout_error: serving,
        acceptance_rows: scores.holdoutRows,
      },
    });
  } catch (error) {
    return reject(`could not save the refit: ${(error as Error).message}`);
  }
  return { accepted: true, version, dir, dynamics: trained.dynamics, report: trained.report, ...scores };
}
