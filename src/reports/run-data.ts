/**
 * The files of a `mbrl sim` run directory, validated: `metrics.jsonl` (one object per episode,
 * required), `run.json` (the run's settings, optional) and `planning.jsonl` (one object per plan,
 * optional). Fields not listed here are allowed and ignored, so newer runs still load.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonLines, readRunFiles } from './json-records.js';

const count = z.int().nonnegative();
const milliseconds = z.number().nonnegative();

export const EpisodeRecordSchema = z.object({
  episode: count,
  return: z.number(),
  steps: count,
  controller: z.string(),
  task: z.string(),
  /** Version of the dynamics model the episode acted with; 0 when there was none. */
  model_version: count,
  /** Null when the episode did not plan (e.g. random exploration). */
  planning_ms_p50: milliseconds.nullable(),
  planning_ms_p95: milliseconds.nullable(),
  deadline_misses: count,
  /** Normalised one-step mean squared error of the model on the episode's transitions. */
  prediction_error: z.number().nonnegative().nullable().optional(),
  control_period_ms: z.number().positive().optional(),
  /** What chose the actions when it differs from the controller (e.g. "random" exploration). */
  source: z.string().optional(),
});
export type EpisodeRecord = z.output<typeof EpisodeRecordSchema>;

export const RunInfoSchema = z.object({
  task: z.string().optional(),
  controller: z.string().optional(),
  seed: z.int().optional(),
  episodes: count.optional(),
  started: z.string().optional(),
  control_period_ms: z.number().positive().optional(),
});
export type RunInfo = z.output<typeof RunInfoSchema>;

/** Only episode and compute_ms are used; the rest is checked when present. */
export const PlanSampleSchema = z.object({
  episode: count,
  compute_ms: milliseconds,
  step: count.optional(),
  iterations: count.optional(),
  predicted_return: z.number().nullable().optional(),
  return_std: z.number().nonnegative().nullable().optional(),
});
export type PlanSample = z.output<typeof PlanSampleSchema>;

export interface RunData {
  dir: string;
  /** Empty when the run has no run.json. */
  info: RunInfo;
  episodes: EpisodeRecord[];
  /** Undefined when the run has no planning.jsonl. */
  plans: PlanSample[] | undefined;
}

/** Reads and validates a run directory; throws a ConfigError naming file and line on bad input. */
export function readRunData(dir: string): RunData {
  const { records: episodes, info } = readRunFiles(dir, EpisodeRecordSchema, RunInfoSchema, 'episodes');
  const plansFile = join(dir, 'planning.jsonl');
  const plans = existsSync(plansFile) ? readJsonLines(plansFile, PlanSampleSchema) : undefined;
  return { dir, info, episodes, plans };
}
