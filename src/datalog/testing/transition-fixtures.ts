/** Deterministic records and temp directories for the transition log tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TRANSITION_SOURCES, type TransitionLogTask, type TransitionRecord } from '../transition-record.js';
import { TransitionLogWriter, type TransitionLogWriterOptions } from '../transition-log-writer.js';

export const TEST_TASK: TransitionLogTask = {
  name: 'test-cart',
  stateNames: ['x', 'x_dot', 'theta', 'theta_dot'],
  actionNames: ['force'],
};

export const STEPS_PER_EPISODE = 50;

/**
 * Record `i`: episode/step from i, values that exercise float round-tripping (irrational,
 * tiny, large, Float32 actions), sources cycling through every kind, model version every 100.
 */
export function testRecord(i: number): TransitionRecord {
  const step = i % STEPS_PER_EPISODE;
  return {
    stamp: i * 0.02,
    episode: Math.floor(i / STEPS_PER_EPISODE),
    step,
    state: [Math.sin(i), Math.cos(i) * 1e-7, i / 3, -i * 1.1e12],
    action: Float32Array.of(0.1 * i - 3),
    nextState: new Float64Array([Math.sin(i + 1), Math.cos(i + 1) * 1e-7, (i + 1) / 3, -(i + 1) * 1.1e12]),
    reward: -i / 7,
    done: step === STEPS_PER_EPISODE - 1,
    source: TRANSITION_SOURCES[i % TRANSITION_SOURCES.length],
    modelVersion: Math.floor(i / 100),
  };
}

/** What reading record `i` back must give: the same numbers, vectors as Float64Array. */
export function expectedRecord(i: number) {
  const r = testRecord(i);
  return {
    ...r,
    state: Float64Array.from(r.state),
    action: Float64Array.from(r.action),
    nextState: Float64Array.from(r.nextState),
  };
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `mbrl-datalog-${label}-`));
}

/** A writer on `dir` for TEST_TASK; by default the timer never fires during a test (flush by hand). */
export function openTestWriter(
  dir: string,
  options: Partial<TransitionLogWriterOptions> = {},
): Promise<TransitionLogWriter> {
  return TransitionLogWriter.open({
    dir,
    task: TEST_TASK,
    flushIntervalS: 60,
    rotateBytes: 1 << 20,
    ...options,
  });
}
