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
import type { Trajectory } from '../lqr/trajectory.js';
import { InProcessBus } from '../runtime/in-process-bus.js';
import { MemoryLogger } from '../runtime/memory-logger.js';
import { runLqrFlmExperiment, type LqrFlmIterationMetrics } from './lqr-flm-experiment.js';

test('LQR-FLM on reacher-2link runs end to end for 3 iterations and lowers the cost', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'lqr-flm-'));
  try {
    const seen: number[] = [];
    const handed: Trajectory[][][] = [];
    const results = await runLqrFlmExperiment({
      iterations: 3,
      samples: 5,
      conditions: 2,
      seed: 1,
      outDir,
      onIteration: (_m, done) => seen.push(done),
      onSamples: (iteration, samples) => (handed[iteration] = samples.map((c) => [...c])),
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
    // The log holds exactly the samples LqrFlm got, trial by trial (iteration, condition, sample).
    const trials = handed.flat(2);
    assert.equal(trials.length, 30);
    const episodes = [...new Set(log.records.map((r) => r.episode))];
    assert.equal(episodes.length, 30);
    episodes.forEach((episode, i) => {
      const records = log.records.filter((r) => r.episode === episode);
      const sample = trials[i];
      assert.deepEqual(
        records.map((r) => r.step),
        Array.from({ length: 50 }, (_, t) => t),
      );
      records.forEach((r, t) => {
        assert.deepEqual(r.state, Float64Array.from(sample.states[t]));
        assert.deepEqual(r.nextState, Float64Array.from(sample.states[t + 1]));
        assert.deepEqual(r.action, Float64Array.from(sample.actions[t]));
        assert.equal(r.reward, -sample.costs[t]);
      });
      assert.equal(records[0].modelVersion, Math.floor(i / 10), 'the iteration that acted');
    });
    // Actions as sent: within the actuator bounds.
    assert.ok(trials.every((tr) => tr.actions.every((a) => Array.from(a).every((v) => Math.abs(v) <= 1))));
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

test('pd reset: trials run back to back on the simulator without teleporting; resets are not logged', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'lqr-flm-'));
  try {
    const handed: Trajectory[][][] = [];
    const results = await runLqrFlmExperiment({
      iterations: 2,
      samples: 3,
      seed: 2,
      outDir,
      report: false,
      reset: { type: 'pd', kp: 0.5, kd: 0.05 },
      onSamples: (iteration, samples) => (handed[iteration] = samples.map((c) => [...c])),
    });
    const run = JSON.parse(readFileSync(join(outDir, 'run.json'), 'utf8')) as {
      conditions: number[][];
      reset: unknown;
    };
    assert.deepEqual(run.reset, {
      type: 'pd',
      kp: 0.5,
      kd: 0.05,
      position_tolerance: 0.05,
      velocity_tolerance: 0.1,
      timeout_s: 10,
    });
    const x0 = run.conditions[0];
    const trials = handed.flat(2);
    assert.equal(trials.length, 6);
    for (const trial of trials) {
      const s0 = trial.states[0];
      // Within the reset's tolerance, one PD period later; never exactly the condition (no teleport).
      assert.ok(Math.max(Math.abs(s0[0] - x0[0]), Math.abs(s0[1] - x0[1])) < 0.06, `s0 ${Array.from(s0)}`);
      assert.ok(Math.max(Math.abs(s0[2]), Math.abs(s0[3])) < 0.15, `s0 ${Array.from(s0)}`);
      assert.notDeepEqual(Array.from(s0), x0);
    }
    assert.ok(
      results[1].cost < results[0].cost,
      `cost ${results.map((m) => m.cost.toFixed(2)).join(' -> ')}`,
    );
    const log = await readTransitionLog(join(outDir, 'logs'));
    assert.equal(log.records.length, 6 * 50);
    assert.ok(log.records.every((r) => r.source === 'lqr'));
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

test('operator reset on a given bus: each trial waits for trial/ready from another node', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'lqr-flm-'));
  const bus = new InProcessBus({ loggerFactory: (n) => new MemoryLogger(n) });
  try {
    const operator = bus.createNode('operator', { useSimTime: true });
    const ready = operator.createPublisher('std_msgs/msg/Bool', 'trial/ready');
    let state = '';
    let waited = 0;
    const waits: number[] = [];
    operator.createSubscription('std_msgs/msg/String', 'trial/state', (m) => (state = m.data), {
      qos: 'latched',
    });
    // A person who takes three control periods to say the arm is ready.
    operator.createTimer(0.05, () => {
      if (state !== 'waiting_for_operator') return;
      if (++waited < 3) return;
      waits.push(waited);
      waited = 0;
      ready.publish({ data: true });
    });
    const results = await runLqrFlmExperiment({
      iterations: 1,
      samples: 2,
      seed: 1,
      outDir,
      report: false,
      bus,
      reset: { type: 'operator' },
    });
    assert.equal(results.length, 1);
    assert.deepEqual(waits, [3, 3]);
    assert.deepEqual(bus.nodeNames(), ['/operator'], "the experiment's nodes are gone, the bus is not");
    const log = await readTransitionLog(join(outDir, 'logs'));
    assert.equal(log.records.length, 2 * 50);
  } finally {
    await bus.shutdown();
    rmSync(outDir, { recursive: true, force: true });
  }
});

test('a PD reset that cannot converge fails the run with the reset error', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'lqr-flm-'));
  try {
    await assert.rejects(
      runLqrFlmExperiment({
        iterations: 1,
        samples: 2,
        seed: 1,
        outDir,
        report: false,
        reset: { type: 'pd', kp: 1e-4, kd: 0, timeout_s: 2 },
      }),
      /^ResetTimeoutError: pd reset did not reach the start pose within 2 s/,
    );
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
  await assert.rejects(
    runLqrFlmExperiment({
      iterations: 1,
      samples: 5,
      seed: 1,
      outDir: '/nonexistent',
      reset: { type: 'pd', kp: 0.5, kd: 0.05, timeout_s: 0 },
    }),
    /^RangeError: reset\.timeout_s: Too small: expected number to be >0$/,
  );
});
