/**
 * Test helper: a run directory like `mbrl sim --controller pets` writes, in a temp dir. Episodes
 * 0..explore-1 are random exploration (no planning, no model), the rest plan with MPC.
 */
import { writeTree } from '../config/testing.js';

export interface RunFixtureOptions {
  episodes?: number;
  explore?: number;
  /** Write prediction_error on planned episodes (null on exploration ones). */
  predictionError?: boolean;
  /** Write the `source` field (random | mpc) as `mbrl sim` does; older runs lack it. */
  source?: boolean;
  /** Number of planning.jsonl samples; no file when undefined. */
  plans?: number;
  /** Replace lines of metrics.jsonl (1-based line number -> text). */
  metricsLines?: Record<number, string>;
}

export function writeRunFixture(options: RunFixtureOptions = {}): string {
  const { episodes = 7, explore = 3, predictionError = true, source = true, plans } = options;
  const lines = Array.from({ length: episodes }, (_, i) => {
    const planned = i >= explore;
    return JSON.stringify({
      episode: i,
      return: 10 * i + (i % 3),
      steps: 200,
      seed: 4,
      controller: 'pets',
      ...(source ? { source: planned ? 'mpc' : 'random' } : {}),
      task: 'cartpole-swingup',
      model_version: planned ? i - explore + 1 : 0,
      planning_ms_p50: planned ? 20 + i : null,
      planning_ms_p95: planned ? 35 + i : null,
      deadline_misses: planned ? i % 2 : 0,
      ...(predictionError ? { prediction_error: planned ? 0.5 / (i + 1) : null } : {}),
      control_period_ms: 50,
      an_unknown_field: 'ignored',
    });
  });
  for (const [line, text] of Object.entries(options.metricsLines ?? {})) lines[Number(line) - 1] = text;
  const files: Record<string, string> = {
    'metrics.jsonl': lines.join('\n') + '\n',
    'run.json': JSON.stringify({
      task: 'cartpole-swingup',
      controller: 'pets',
      episodes,
      seed: 4,
      started: '2026-11-22T01:55:20.169Z',
    }),
  };
  if (plans !== undefined)
    files['planning.jsonl'] = Array.from({ length: plans }, (_, k) =>
      JSON.stringify({
        episode: explore + (k % (episodes - explore)),
        stamp: 0.05 * k,
        compute_ms: 15 + (k % 40),
        iterations: 5,
        predicted_return: 12.5,
        return_std: 0.4,
        model_version: 1,
      }),
    ).join('\n');
  return writeTree(files);
}
