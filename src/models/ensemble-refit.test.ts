import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refitEnsemble, type RefitOptions } from './ensemble-refit.js';
import { loadEnsemble } from './ensemble-artifact.js';
import { linearSystemSpec, linearSystemTransitions, testHyperparameters } from './test-systems.js';
import { initTfBackend } from './tf-backend.js';
import { isHeldOut, splitTransitions } from './transition-split.js';

await initTfBackend({ log: () => undefined });

const spec = linearSystemSpec();
const base = (dir: string, over: Partial<RefitOptions> = {}): RefitOptions => ({
  data: linearSystemTransitions({ count: 1500, seed: 1, noiseStd: () => 0.01 }),
  spec,
  hyper: testHyperparameters(),
  elites: 2,
  holdoutRatio: 0.1,
  seed: 1,
  modelsDir: dir,
  current: null,
  workers: 0,
  ...over,
});

test('the holdout is stable as the log grows', () => {
  const small = linearSystemTransitions({ count: 200, seed: 3 });
  const heldSmall = [...Array(200).keys()].filter((i) => isHeldOut(i, 0.2, 7));
  const heldLarge = [...Array(400).keys()].filter((i) => isHeldOut(i, 0.2, 7));
  assert.deepEqual(heldLarge.slice(0, heldSmall.length), heldSmall);
  assert.ok(heldLarge.length > 50 && heldLarge.length < 110, `about 20% held out, got ${heldLarge.length}`);
  const { train, holdout } = splitTransitions(small, 0.2, 7);
  assert.equal(train.count + holdout.count, 200);
  assert.equal(holdout.count, heldSmall.length);
});

test('an accepted refit is written as the next version; a worse one is rejected and writes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refit-'));
  try {
    const first = await refitEnsemble(base(dir));
    assert.ok(first.accepted, first.accepted ? '' : first.reason);
    assert.equal(first.version, 1);
    assert.ok(first.holdoutError < 0.05, `good model, error ${first.holdoutError}`);
    const loaded = await loadEnsemble(first.dir);
    assert.equal(loaded.card.version, 1);
    assert.equal(loaded.card.holdout_error, first.holdoutError);
    loaded.dynamics.dispose();

    // One epoch at a tiny learning rate from scratch: clearly worse than the serving model.
    const worse = await refitEnsemble(
      base(dir, {
        current: { dynamics: first.dynamics, version: 1 },
        hyper: { ...base(dir).hyper, epochs: 1, learningRate: 1e-6 },
        seed: 2,
      }),
    );
    assert.equal(worse.accepted, false);
    if (!worse.accepted) {
      assert.match(worse.reason, /predicts worse than version 1/);
      assert.ok((worse.holdoutError ?? 0) > (worse.servingHoldoutError ?? Infinity));
    }
    assert.deepEqual(readdirSync(dir), ['v0001'], 'nothing written for a rejected refit');

    const better = await refitEnsemble(
      base(dir, {
        current: { dynamics: first.dynamics, version: 1 },
        warmStart: true,
        tolerance: 0.05,
        seed: 3,
      }),
    );
    assert.ok(better.accepted, better.accepted ? '' : better.reason);
    assert.equal(better.version, 2);
    first.dynamics.dispose();
    better.dynamics.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a refit on corrupt data fails and writes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refit-'));
  try {
    const data = linearSystemTransitions({ count: 300, seed: 4 });
    // A corrupt row: validation stops the refit before any weights are fitted.
    const corrupt = { ...data, states: Float32Array.from(data.states) };
    corrupt.states[5] = Number.NaN;
    const outcome = await refitEnsemble(base(dir, { data: corrupt }));
    assert.equal(outcome.accepted, false);
    if (!outcome.accepted) assert.match(outcome.reason, /training failed: .*states\[2\]\[1\] is NaN/);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a diverged refit is rejected even with no serving model: NaN, or finite but astronomical error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'refit-'));
  try {
    const data = linearSystemTransitions({ count: 600, seed: 5 });
    for (const learningRate of [10, 1e6]) {
      const outcome = await refitEnsemble(
        base(dir, { data, hyper: testHyperparameters({ epochs: 3, learningRate }), seed: 7 }),
      );
      assert.equal(outcome.accepted, false, `learning rate ${learningRate}`);
      if (!outcome.accepted) {
        assert.match(outcome.reason, /^the refit diverged \(holdout error .*, the bound is 100\)$/);
        assert.ok(!((outcome.holdoutError ?? NaN) <= 100), `error ${outcome.holdoutError}`);
      }
    }
    assert.deepEqual(readdirSync(dir), [], 'nothing written');
    // The bound is an option: a stricter one rejects an otherwise acceptable first model.
    const strict = await refitEnsemble(base(dir, { data, maxHoldoutError: 1e-9 }));
    assert.equal(strict.accepted, false);
    const normal = await refitEnsemble(base(dir, { data }));
    assert.ok(normal.accepted, normal.accepted ? '' : normal.reason);
    normal.dynamics.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
