import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomEnsemble } from '../planning/testing.js';
import { loadEnsemble, nonFiniteWeights, saveEnsemble } from './ensemble-artifact.js';
import { loadModelArtifact, saveModelArtifact } from './model-artifact.js';
import { initTfBackend } from './tf-backend.js';

await initTfBackend({ log: () => undefined });

test('an artifact whose weights hold NaN or Infinity is refused on load, naming the file and tensor', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ensemble-artifact-'));
  try {
    const dynamics = randomEnsemble(3);
    await saveEnsemble(join(dir, 'v0001'), dynamics, { version: 1 });
    dynamics.dispose();
    const good = await loadEnsemble(join(dir, 'v0001'));
    good.dynamics.dispose();
    // Saved with a valid checksum: only the values are wrong (a diverged model saved as is).
    const contents = await loadModelArtifact(join(dir, 'v0001'));
    const tensor = contents.weights[1];
    tensor.data[0] = Number.NaN;
    tensor.data[1] = Number.POSITIVE_INFINITY;
    await saveModelArtifact(join(dir, 'v0002'), contents);
    await assert.rejects(
      loadEnsemble(join(dir, 'v0002')),
      new RegExp(`v0002/weights\\.bin: ${tensor.name}: 2 non-finite values`),
    );
    assert.deepEqual(nonFiniteWeights(contents.weights), { name: tensor.name, count: 2 });
    assert.equal(nonFiniteWeights([{ name: 'w', shape: [2], data: Float32Array.of(1, -0) }]), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
