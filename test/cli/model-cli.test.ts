// `mbrl model info` on a real artifact written by the trainer, and on a corrupted copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../src/config/package-paths.js';
import { saveEnsemble } from '../../src/models/ensemble-artifact.js';
import { trainEnsemble } from '../../src/models/ensemble-trainer.js';
import { linearSystemTransitions } from '../../src/models/test-systems.js';
import { initTfBackend } from '../../src/models/tf-backend.js';

const run = promisify(execFile);
const cli = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

test('mbrl model info verifies an artifact and prints its card; corruption exits 2 with the file named', async () => {
  await initTfBackend({ log: () => undefined });
  const { dynamics, report } = await trainEnsemble(linearSystemTransitions({ count: 200, seed: 1 }), {
    spec: {
      members: 2,
      stateDim: 2,
      actionDim: 1,
      angleIndices: [],
      hiddenLayers: 1,
      hiddenUnits: 16,
      activation: 'relu',
    },
    hyper: {
      epochs: 2,
      batchSize: 64,
      learningRate: 1e-3,
      weightDecay: 0,
      patience: 5,
      improvementThreshold: 0.01,
      bootstrap: true,
    },
    holdoutRatio: 0.2,
    elites: 1,
    seed: 1,
    workers: 0,
  }).result;
  const dir = join(mkdtempSync(join(tmpdir(), 'mbrl-model-cli-')), 'v0001');
  await saveEnsemble(dir, dynamics, { version: 1, report });
  dynamics.dispose();

  const { stdout } = await run(process.execPath, [cli, 'model', 'info', dir]);
  const info = JSON.parse(stdout) as {
    spec: { members: number };
    card: { version: number; transitions: number; elites: number[] };
  };
  assert.equal(info.spec.members, 2);
  assert.equal(info.card.version, 1);
  assert.equal(info.card.transitions, 200);
  assert.equal(info.card.elites.length, 1);

  const weights = join(dir, 'weights.bin');
  writeFileSync(weights, readFileSync(weights).subarray(0, 100));
  const failure = await run(process.execPath, [cli, 'model', 'info', dir]).then(
    () => assert.fail('a truncated artifact must not load'),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(failure.code, 2);
  assert.match(failure.stderr, /weights\.bin/);
  assert.doesNotMatch(failure.stderr, /internal error/);
});
