import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTransitionLog } from '../datalog/transition-log-reader.js';
import {
  LinearGaussianController,
  type LinearGaussianControllerJson,
} from '../lqr/linear-gaussian-controller.js';
import { runLqrFlmExperiment, type LqrFlmIterationMetrics } from './lqr-flm-experiment.js';

test('LQR-FLM on reacher-2link runs end to end for 3 iterations and lowers the cost', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'lqr-flm-'));
  try {
    const seen: number[] = [];
    const results = await runLqrFlmExperiment({
      iterations: 3,
      samples: 5,
      conditions: 2,
      seed: 1,
      outDir,
      onIteration: (_m, done) => seen.push(done),
    });
    assert.deepEqual(seen, [1, 2, 3]);
    const lines = readFileSync(join(outDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    const metrics = lines.map((l) => JSON.parse(l) as LqrFlmIterationMetrics);
    assert.deepEqual(metrics, results);
    assert.deepEqual(
      metrics.map((m) => m.iteration),
      [0, 1, 2],
    );
    for (const m of metrics) {
      for (const key of ['cost', 'kl', 'kl_target', 'eta', 'step_mult', 'final_distance'] as const)
        assert.ok(Number.isFinite(m[key]), `iteration ${m.iteration}: ${key} = ${m[key]}`);
      assert.ok(m.eta_at_bound.some((b) => b !== null) || Math.abs(m.kl - m.kl_target) <= 0.1 * m.kl_target);
    }
    // The fingertip starts ~15 cm from the target; three updates must bring it closer and
    // cut the cost (the first update alone roughly halves it).
    assert.ok(
      metrics[2].cost < 0.8 * metrics[0].cost,
      `cost ${metrics.map((m) => m.cost.toFixed(2)).join(' -> ')}`,
    );
    assert.ok(metrics[2].final_distance! < metrics[0].final_distance!, 'final distance');
    const log = await readTransitionLog(join(outDir, 'logs'));
    assert.equal(log.task.name, 'reacher-2link');
    assert.equal(log.records.length, 3 * 2 * 5 * 50);
    assert.ok(log.records.every((r) => r.source === 'lqr'));
    assert.equal(log.records.filter((r) => r.done).length, 30);
    assert.ok(existsSync(join(outDir, 'run.json')));
    const saved = JSON.parse(
      readFileSync(join(outDir, 'controllers.json'), 'utf8'),
    ) as LinearGaussianControllerJson[];
    assert.equal(saved.length, 2);
    assert.equal(LinearGaussianController.fromJSON(saved[0]).horizon, 50);
    const report = readFileSync(join(outDir, 'report.html'), 'utf8');
    assert.equal(report.match(/<svg/g)?.length, 3, 'cost, final distance and KL charts');
    assert.equal(report.match(/<tr>/g)?.length, 4, 'a header row and one row per iteration');
    assert.match(report, /<dt>Conditions<\/dt><dd>2<\/dd>/);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

test('report: false writes no report.html', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'lqr-flm-'));
  try {
    await runLqrFlmExperiment({ iterations: 1, samples: 1, seed: 1, outDir, log: false, report: false });
    assert.ok(existsSync(join(outDir, 'metrics.jsonl')));
    assert.equal(existsSync(join(outDir, 'report.html')), false);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

test('bad options fail before anything runs', async () => {
  await assert.rejects(
    runLqrFlmExperiment({ iterations: 0, samples: 5, seed: 1, outDir: '/nonexistent' }),
    /iterations must be a positive integer, got 0/,
  );
  await assert.rejects(
    runLqrFlmExperiment({ iterations: 1, samples: 5, seed: 1, outDir: '/nonexistent', task: 'no-such-task' }),
    /unknown task "no-such-task"/,
  );
});
