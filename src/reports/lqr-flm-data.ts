/**
 * The files of a `mbrl sim --controller lqr-flm` run directory, validated: `metrics.jsonl` (one
 * object per iteration, required) and `run.json` (the run's settings, optional). Fields not listed
 * here are allowed and ignored, so newer runs still load.
 */
import { z } from 'zod';
import type { LqrFlmIterationMetrics } from '../experiments/lqr-flm-experiment.js';
import { readRunFiles } from './json-records.js';

const count = z.int().nonnegative();
const nonNegative = z.number().nonnegative();

export const LqrFlmIterationSchema = z.object({
  iteration: count,
  task: z.string(),
  seed: z.int(),
  /** Mean total cost of the iteration's samples. */
  cost: z.number(),
  /** KL(new || current) of the update computed from the samples (nats), and its target. */
  kl: z.number(),
  kl_target: nonNegative,
  eta: nonNegative,
  step_mult: z.number().positive(),
  /** Metres; null when the task has no distance term. */
  final_distance: nonNegative.nullable(),
  final_distance_per_condition: z.array(nonNegative.nullable()).optional(),
  cost_per_condition: z.array(z.number()).optional(),
  eta_at_bound: z.array(z.enum(['lower', 'upper']).nullable()).optional(),
  /** Episodes in the iteration, over all conditions. */
  samples: count,
  wall_s: nonNegative.optional(),
});
export type LqrFlmIteration = z.output<typeof LqrFlmIterationSchema>;

// What the experiment writes must pass the schema: a compile error here means they have drifted apart.
const _writtenMetricsFit = (m: LqrFlmIterationMetrics): z.input<typeof LqrFlmIterationSchema> => m;

export const LqrFlmRunInfoSchema = z.object({
  task: z.string().optional(),
  controller: z.string().optional(),
  seed: z.int().optional(),
  iterations: count.optional(),
  /** Episodes per condition and iteration. */
  samples: count.optional(),
  /** The initial states, one per condition. */
  conditions: z.array(z.array(z.number())).optional(),
  started: z.string().optional(),
});
export type LqrFlmRunInfo = z.output<typeof LqrFlmRunInfoSchema>;

export interface LqrFlmData {
  dir: string;
  /** Empty when the run has no run.json. */
  info: LqrFlmRunInfo;
  iterations: LqrFlmIteration[];
}

/** Reads and validates a run directory; throws a ConfigError naming file and line on bad input. */
export function readLqrFlmData(dir: string): LqrFlmData {
  const { records, info } = readRunFiles(dir, LqrFlmIterationSchema, LqrFlmRunInfoSchema, 'iterations');
  return { dir, info, iterations: records };
}
