/**
 * The PETS loop end to end on the pendulum, short enough for CI: one random episode, then
 * MPC through the learned ensemble with a refit after every episode. Everything is real:
 * MuJoCo physics, the controller and logger nodes, MCAP files, worker-thread training and
 * the hot swap. The full cart-pole result (15 episodes, 3 seeds) is in docs/BENCHMARKS.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTransitionLog } from '../../src/datalog/transition-log-reader.js';
import { runSimExperiment } from '../../src/experiments/sim-experiment.js';
import { PlannerProfileSchema } from '../../src/planning/planner-profile.js';

const profile = PlannerProfileSchema.parse({
  horizon: 30,
  particles: 4,
  optimizer: { type: 'icem', population: 40, elites: 6, iterations: 2 },
  ensemble: { members: 3, hidden_layers: 2, hidden_units: 64 },
});

test('PETS learns the pendulum swing-up within three episodes', { timeout: 600_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'pets-pendulum-'));
  try {
    const episodes = await runSimExperiment({
      task: 'pendulum-swingup',
      controller: 'pets',
      episodes: 3,
      seed: 1,
      outDir: out,
      pets: { profile },
    });
    const [random, ...mpc] = episodes;
    assert.equal(random.source, 'random');
    assert.equal(random.model_version, 0);
    assert.ok(mpc.every((e) => e.source === 'mpc' && e.model_version >= 1 && e.planning_ms_p50 !== null));
    // A random policy leaves the pendulum hanging (about -390 here); swung up and held it is
    // about -85 (see docs/BENCHMARKS.md).
    const last = mpc.at(-1)!;
    assert.ok(
      last.return > -160,
      `last MPC episode return ${last.return.toFixed(1)} (random ${random.return.toFixed(1)})`,
    );
    assert.ok(last.return > random.return + 150);
    assert.ok(
      mpc.every((e) => e.safe_ticks === 0),
      'MPC acted on every tick',
    );

    // The log holds every transition exactly once, tagged with its source and model version.
    const log = await readTransitionLog(join(out, 'logs'));
    assert.equal(log.records.length, 600);
    assert.deepEqual(
      [...new Set(log.records.map((r) => `${r.source}:${r.modelVersion}`))],
      ['random:0', ...mpc.map((e) => `mpc:${e.model_version}`)].filter((v, i, a) => a.indexOf(v) === i),
    );
    const keys = log.records.map((r) => `${r.episode}:${r.step}`);
    assert.equal(new Set(keys).size, keys.length, 'no duplicates');

    assert.ok(readdirSync(join(out, 'models')).includes('v0001'));
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const key of [
      'episode',
      'return',
      'steps',
      'model_version',
      'planning_ms_p50',
      'planning_ms_p95',
      'deadline_misses',
    ])
      assert.ok(key in metrics[1], `metrics has ${key}`);
    assert.ok(existsSync(join(out, 'report.html')));
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<svg/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
