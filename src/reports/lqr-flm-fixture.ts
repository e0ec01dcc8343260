/**
 * Test helper: a run directory like `mbrl sim --controller lqr-flm` writes, in a temp dir. The
 * final distance halves each iteration from 15 cm, so it crosses the 2 cm target at iteration 3.
 */
import { writeTree } from '../config/testing.js';
import type { LqrFlmIterationMetrics } from '../experiments/lqr-flm-experiment.js';

export interface LqrFlmFixtureOptions {
  iterations?: number;
  conditions?: number;
  /** Episodes per condition and iteration. */
  samples?: number;
  /** Write run.json; default true. */
  runJson?: boolean;
  /** Null distances, as for a task without a distance term. */
  noDistance?: boolean;
  /** Replace lines of metrics.jsonl (1-based line number -> text). */
  metricsLines?: Record<number, string>;
}

export function writeLqrFlmFixture(options: LqrFlmFixtureOptions = {}): string {
  const { iterations = 6, conditions = 2, samples = 5, runJson = true, noDistance = false } = options;
  const lines = Array.from({ length: iterations }, (_, i) => {
    const distance = noDistance ? null : 0.15 / 2 ** i;
    const metrics: LqrFlmIterationMetrics = {
      iteration: i,
      task: 'reacher-2link',
      seed: 3,
      cost: 400 / (i + 1),
      kl: 50 * Math.min(2 ** i, 10) * (0.9 + 0.05 * (i % 3)),
      kl_target: 50 * Math.min(2 ** i, 10),
      eta: 0.02 * (i + 1),
      step_mult: Math.min(2 ** i, 10),
      final_distance: distance,
      final_distance_per_condition: Array.from({ length: conditions }, () => distance),
      cost_per_condition: Array.from({ length: conditions }, () => 400 / (i + 1)),
      eta_at_bound: Array.from({ length: conditions }, () => null),
      samples: samples * conditions,
      wall_s: 1.5,
    };
    return JSON.stringify(metrics);
  });
  for (const [line, text] of Object.entries(options.metricsLines ?? {})) lines[Number(line) - 1] = text;
  const files: Record<string, string> = { 'metrics.jsonl': lines.join('\n') + '\n' };
  if (runJson)
    files['run.json'] = JSON.stringify({
      task: 'reacher-2link',
      task_file: '/somewhere/hardware/tasks/reacher-2link.yaml',
      controller: 'lqr-flm',
      iterations,
      samples,
      conditions: Array.from({ length: conditions }, () => [0.1, -0.2, 0, 0]),
      seed: 3,
      kl_step: 1,
      init_variance: 0.01,
      initial_pd: { kp: 0.5, kd: 0.05 },
      started: '2026-11-22T01:55:20.169Z',
    });
  return writeTree(files);
}
