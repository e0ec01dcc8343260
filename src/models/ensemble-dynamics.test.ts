import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTask } from '../config/task-loader.js';
import { Rng } from '../math/rng.js';
import { TaskEnvironment } from '../tasks/task-environment.js';
import { loadEnsemble, saveEnsemble } from './ensemble-artifact.js';
import type { EnsembleSpec } from './ensemble-spec.js';
import { trainEnsemble, TrainingCancelledError, type EnsembleTrainingOptions } from './ensemble-trainer.js';
import { linearSystemTransitions, testHyperparameters } from './test-systems.js';
import { initTfBackend } from './tf-backend.js';
import type { TransitionBatch } from './transition-batch.js';

await initTfBackend({ log: () => undefined });

const smallSpec = (over: Partial<EnsembleSpec> = {}): EnsembleSpec => ({
  members: 3,
  stateDim: 2,
  actionDim: 1,
  angleIndices: [],
  hiddenLayers: 2,
  hiddenUnits: 64,
  activation: 'swish',
  ...over,
});
const hyper = testHyperparameters;
const train = (data: TransitionBatch, over: Partial<EnsembleTrainingOptions> = {}) =>
  trainEnsemble(data, {
    spec: smallSpec(),
    hyper: hyper(),
    holdoutRatio: 0.1,
    elites: 3,
    seed: 1,
    workers: 0,
    ...over,
  }).result;

/** Mean squared one-step error of the expected next state, per state entry, in raw units. */
function oneStepMse(
  dyn: {
    step: (
      s: tf.Tensor2D,
      a: tf.Tensor2D,
      o: { propagation: 'expectation'; sample: false; seed: number },
    ) => tf.Tensor2D;
  },
  data: TransitionBatch,
  wrap: boolean[],
): number[] {
  const pred = tf.tidy(() =>
    dyn.step(
      tf.tensor2d(data.states, [data.count, data.stateDim]),
      tf.tensor2d(data.actions, [data.count, data.actionDim]),
      {
        propagation: 'expectation',
        sample: false,
        seed: 0,
      },
    ),
  );
  const p = pred.dataSync();
  pred.dispose();
  const se = new Array<number>(data.stateDim).fill(0);
  for (let i = 0; i < data.count; i++)
    for (let j = 0; j < data.stateDim; j++) {
      let d = p[i * data.stateDim + j] - data.nextStates[i * data.stateDim + j];
      if (wrap[j]) d = Math.atan2(Math.sin(d), Math.cos(d));
      se[j] += d * d;
    }
  return se.map((x) => x / data.count);
}

test('a known linear system is learned to near its noise floor', async () => {
  const noise = 0.01;
  const data = linearSystemTransitions({ count: 3000, seed: 1, noiseStd: () => noise });
  const { dynamics, report } = await train(data);
  try {
    const fresh = linearSystemTransitions({ count: 1000, seed: 2, noiseStd: () => noise });
    const mse = oneStepMse(dynamics, fresh, [false, false]);
    // Irreducible error is noise^2 = 1e-4 per entry; predicting "no change" would cost
    // E[(dt * f)^2] ~ 1e-2 for the velocity. Bound: 3x the noise floor.
    for (const m of mse) assert.ok(m < 3 * noise * noise, `one-step MSE ${mse.join(', ')}`);
    assert.equal(report.members.length, 3);
    assert.ok(
      report.members.every((m) => m.val_mse !== null && m.val_mse < 0.1),
      JSON.stringify(report.members),
    );
  } finally {
    dynamics.dispose();
  }
});

test('the pendulum from the simulator is learned: one-step error far below the change per step', async () => {
  const env = await TaskEnvironment.create(loadTask('pendulum-swingup'));
  const rng = new Rng(3);
  const collect = (count: number): TransitionBatch => {
    const states = new Float32Array(count * 2);
    const actions = new Float32Array(count);
    const nextStates = new Float32Array(count * 2);
    for (let i = 0; i < count; i++) {
      env.setState([rng.uniformIn(-Math.PI, Math.PI), rng.uniformIn(-6, 6)]);
      states.set(env.readState(new Float64Array(2)), 2 * i);
      actions[i] = rng.uniformIn(-1, 1);
      nextStates.set(env.step([actions[i]]).state, 2 * i);
    }
    return { count, stateDim: 2, actionDim: 1, states, actions, nextStates };
  };
  const { dynamics } = await train(collect(3000), { spec: smallSpec({ angleIndices: [0] }) });
  try {
    const mse = oneStepMse(dynamics, collect(500), [true, false]);
    env.dispose();
    // Per 0.05 s step the angle changes by ~0.17 rad (rms) and the velocity by ~0.55 rad/s;
    // require errors below 1% of those squared changes: 3e-4 rad^2 and 3e-3 (rad/s)^2.
    assert.ok(mse[0] < 3e-4 && mse[1] < 3e-3, `one-step MSE ${mse.join(', ')}`);
  } finally {
    dynamics.dispose();
  }
});

test('aleatoric variance tracks injected noise; epistemic variance grows away from the data', async () => {
  // Noise std 0.01 for x < 0 and 0.1 for x > 0: a 100x variance ratio to recover.
  const data = linearSystemTransitions({ count: 4000, seed: 4, noiseStd: (x) => (x < 0 ? 0.01 : 0.1) });
  const { dynamics } = await train(data, { hyper: hyper({ epochs: 60 }) });
  try {
    const probe = (x: number) =>
      tf.tidy(() => {
        const s = tf.tensor2d([x, 0], [1, 2]);
        const a = tf.tensor2d([0], [1, 1]);
        const u = dynamics.uncertainty(s, a);
        return {
          aleatoric: Array.from(u.aleatoric.dataSync()),
          epistemic: Array.from(u.epistemic.dataSync()),
        };
      });
    // Probe away from the step at x = 0, which a smooth network can only blur.
    const quiet = probe(-0.9);
    const noisy = probe(0.9);
    const far = probe(6);
    // Predicted std within a factor 1.5 of the truth on each side (measured: 0.0099-0.011
    // and 0.118-0.130).
    for (const v of quiet.aleatoric)
      assert.ok(Math.sqrt(v) > 0.01 / 1.5 && Math.sqrt(v) < 0.01 * 1.5, `quiet std ${Math.sqrt(v)}`);
    for (const v of noisy.aleatoric)
      assert.ok(Math.sqrt(v) > 0.1 / 1.5 && Math.sqrt(v) < 0.1 * 1.5, `noisy std ${Math.sqrt(v)}`);
    // Trained on |x| <= 1: six units out the members disagree far more than anywhere inside
    // (measured ratio ~90; bound 20).
    const total = (u: { epistemic: number[] }) => u.epistemic.reduce((p, q) => p + q, 0);
    const inside = Math.max(...[-0.9, -0.5, 0, 0.5, 0.9].map((x) => total(probe(x))));
    const outside = total(far);
    assert.ok(outside > 20 * inside, `epistemic inside ${inside}, outside ${outside}`);
  } finally {
    dynamics.dispose();
  }
});

test('propagation modes: shapes, seeds, and what each one means', async () => {
  const data = linearSystemTransitions({ count: 600, seed: 5, noiseStd: () => 0.05 });
  const { dynamics } = await train(data, { hyper: hyper({ epochs: 5 }) });
  try {
    const rows = 30;
    const s = tf.randomUniform([rows, 2], -1, 1, 'float32', 1) as tf.Tensor2D;
    const a = tf.randomUniform([rows, 1], -1, 1, 'float32', 2) as tf.Tensor2D;
    const run = (propagation: 'ts1' | 'tsinf' | 'expectation', sample: boolean, seed: number) =>
      tf.tidy(() => Array.from(dynamics.step(s, a, { propagation, sample, seed }).dataSync()));
    for (const p of ['ts1', 'tsinf', 'expectation'] as const) {
      assert.equal(run(p, true, 1).length, rows * 2);
      assert.deepEqual(run(p, true, 1), run(p, true, 1), `${p}: same seed, same result`);
      assert.notDeepEqual(run(p, true, 1), run(p, true, 2), `${p}: other seed, other noise`);
    }
    // TS-inf without noise: row block k goes through elite k (rows 0-9 member 0, ...).
    const blocks = tf.tidy(() => Array.from(dynamics.predictBlocks(s, a).mean.dataSync()));
    const all = tf.tidy(() => dynamics.predictAll(s, a).mean.arraySync() as number[][][]);
    for (let r = 0; r < rows; r++) {
      const member = Math.floor((r * 3) / rows);
      for (let j = 0; j < 2; j++) assert.ok(Math.abs(blocks[r * 2 + j] - all[member][r][j]) < 1e-6);
    }
    // Expectation without noise: the average of the members' means.
    const expected = run('expectation', false, 0);
    const states = s.arraySync();
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < 2; j++) {
        const avg = (all[0][r][j] + all[1][r][j] + all[2][r][j]) / 3;
        assert.ok(Math.abs(expected[r * 2 + j] - (states[r][j] + avg)) < 1e-5);
      }
    // TS1 draws members per row: with a different seed the assignment (hence means) changes.
    assert.notDeepEqual(run('ts1', false, 1), run('ts1', false, 2));
    tf.dispose([s, a]);
  } finally {
    dynamics.dispose();
  }
});

test('prediction does not leak tensors', async () => {
  const data = linearSystemTransitions({ count: 300, seed: 6 });
  const { dynamics } = await train(data, { hyper: hyper({ epochs: 2 }) });
  try {
    const s = tf.zeros([64, 2]) as tf.Tensor2D;
    const a = tf.zeros([64, 1]) as tf.Tensor2D;
    // Warm-up: per-layout constants (row bounds, wrap scale) are built once and cached.
    for (let i = 0; i < 3; i++)
      dynamics
        .step(s, a, { propagation: (['ts1', 'tsinf', 'expectation'] as const)[i], sample: true, seed: i })
        .dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) {
      dynamics
        .step(s, a, { propagation: (['ts1', 'tsinf', 'expectation'] as const)[i % 3], sample: true, seed: i })
        .dispose();
      const u = dynamics.uncertainty(s, a);
      tf.dispose([u.aleatoric, u.epistemic]);
    }
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([s, a]);
  } finally {
    dynamics.dispose();
  }
});

test('loading a model and disposing it frees every tensor it made (a planner swaps models for hours)', async () => {
  const data = linearSystemTransitions({ count: 300, seed: 8 });
  const { dynamics, report } = await train(data, { hyper: hyper({ epochs: 1 }) });
  const dir = join(mkdtempSync(join(tmpdir(), 'mbrl-model-')), 'v0001');
  await saveEnsemble(dir, dynamics, { version: 1, report });
  dynamics.dispose();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) (await loadEnsemble(dir)).dynamics.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('save -> load gives identical predictions; a corrupt artifact is a clear error', async () => {
  const data = linearSystemTransitions({ count: 500, seed: 7, noiseStd: () => 0.02 });
  const { dynamics, report } = await train(data, {
    spec: smallSpec({ angleIndices: [0] }),
    hyper: hyper({ epochs: 3 }),
  });
  const root = mkdtempSync(join(tmpdir(), 'mbrl-model-'));
  const dir = join(root, 'v0001');
  await saveEnsemble(dir, dynamics, { version: 1, report });
  const { dynamics: loaded, card } = await loadEnsemble(dir);
  try {
    assert.equal(card.version, 1);
    assert.deepEqual(card.elites, [...dynamics.elites]);
    assert.equal((card as Record<string, unknown>).transitions, 500);
    const s = tf.randomUniform([50, 2], -1, 1, 'float32', 3) as tf.Tensor2D;
    const a = tf.randomUniform([50, 1], -1, 1, 'float32', 4) as tf.Tensor2D;
    for (const propagation of ['ts1', 'tsinf', 'expectation'] as const) {
      const x = tf.tidy(() =>
        Array.from(dynamics.step(s, a, { propagation, sample: true, seed: 9 }).dataSync()),
      );
      const y = tf.tidy(() =>
        Array.from(loaded.step(s, a, { propagation, sample: true, seed: 9 }).dataSync()),
      );
      assert.deepEqual(x, y, propagation);
    }
    tf.dispose([s, a]);
  } finally {
    loaded.dispose();
    dynamics.dispose();
  }
  // Flip one byte of the weights: the checksum catches it.
  const weights = join(dir, 'weights.bin');
  const bytes = readFileSync(weights);
  bytes[100] ^= 0xff;
  writeFileSync(weights, bytes);
  await assert.rejects(loadEnsemble(dir), /weights\.bin.*corrupt/);
  // A spec that does not match the weights names the file and field.
  bytes[100] ^= 0xff;
  writeFileSync(weights, bytes);
  const modelJson = join(dir, 'model.json');
  const model = JSON.parse(readFileSync(modelJson, 'utf8')) as { spec: { hiddenUnits: number } };
  model.spec.hiddenUnits = 65;
  writeFileSync(modelJson, JSON.stringify(model));
  await assert.rejects(
    loadEnsemble(dir),
    /model\.json: weightsManifest: weight member0\/layer0\/w has shape \[4, 64\], the spec needs \[4, 65\]/,
  );
  model.spec.hiddenUnits = 64;
  (model.spec as Record<string, unknown>).activation = 'gelu';
  writeFileSync(modelJson, JSON.stringify(model));
  await assert.rejects(loadEnsemble(dir), /model\.json: spec\.activation/);
});

test('training runs in worker threads, reports progress per member and epoch, and can be cancelled', async () => {
  const data = linearSystemTransitions({ count: 1000, seed: 8, noiseStd: () => 0.01 });
  const run = trainEnsemble(data, {
    spec: smallSpec({ members: 4 }),
    hyper: hyper({ epochs: 3 }),
    holdoutRatio: 0.2,
    elites: 2,
    seed: 2,
    workers: 2,
  });
  const seen = new Set<string>();
  run.on('progress', (p) => seen.add(`${p.member}:${p.epoch}`));
  const { dynamics, report } = await run.result;
  dynamics.dispose();
  assert.equal(report.workers, 2);
  assert.equal(seen.size, 4 * 3, [...seen].join(' '));
  assert.equal(report.elites.length, 2);
  const best = [...report.members]
    .sort((x, y) => (x.val_mse ?? Infinity) - (y.val_mse ?? Infinity))
    .slice(0, 2);
  assert.deepEqual(report.elites, best.map((m) => m.member).sort());

  const long = trainEnsemble(linearSystemTransitions({ count: 5000, seed: 9 }), {
    spec: smallSpec(),
    hyper: hyper({ epochs: 1000 }),
    holdoutRatio: 0.1,
    elites: 3,
    seed: 3,
    workers: 2,
  });
  long.once('progress', () => long.cancel());
  const started = performance.now();
  await assert.rejects(long.result, TrainingCancelledError);
  assert.ok(performance.now() - started < 20_000, 'cancellation takes effect within the epoch');
});

test('bad training input is rejected with the field named', async () => {
  const data = linearSystemTransitions({ count: 100, seed: 10 });
  data.nextStates[7] = Number.NaN;
  await assert.rejects(train(data), /nextStates\[3\]\[1\] is NaN/);
  const ok = linearSystemTransitions({ count: 100, seed: 10 });
  await assert.rejects(train(ok, { spec: smallSpec({ stateDim: 3 }) }), /model expects 3/);
  await assert.rejects(train(ok, { elites: 4 }), /elites must be between 1 and 3/);
});
