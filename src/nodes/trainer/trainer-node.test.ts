import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnsemble } from '../../models/ensemble-artifact.js';
import type { EnsembleDynamics } from '../../models/ensemble-dynamics.js';
import { linearSystemSpec, linearSystemTransitions, testHyperparameters } from '../../models/test-systems.js';
import { initTfBackend } from '../../models/tf-backend.js';
import type { TransitionBatch } from '../../models/transition-batch.js';
import { InProcessBus } from '../../runtime/in-process-bus.js';
import { MemoryLogger } from '../../runtime/memory-logger.js';
import { ModelSubscriber } from '../controller/model-subscriber.js';
import { TrainerNode } from './trainer-node.js';

await initTfBackend({ log: () => undefined });

function setup(dir: string, loadData: () => Promise<TransitionBatch>) {
  const bus = new InProcessBus({ loggerFactory: (n) => new MemoryLogger(n) });
  const trainer = new TrainerNode(bus.createNode('trainer'), {
    spec: linearSystemSpec({ hiddenLayers: 1, hiddenUnits: 16 }),
    hyper: testHyperparameters({ epochs: 20, batchSize: 64, weightDecay: 0, patience: 20, bootstrap: false }),
    elites: 2,
    holdoutRatio: 0.1,
    seed: 1,
    modelsDir: dir,
    workers: 0,
    data: { kind: 'loader', load: loadData },
  });
  const updates: string[] = [];
  bus
    .createNode('probe')
    .createSubscription('std_msgs/msg/String', 'model_update', (m) => updates.push(m.data), {
      qos: 'latched',
    });
  const request = bus.createNode('logger').createPublisher('std_msgs/msg/String', 'refit_request');
  return { bus, trainer, updates, request };
}

test('a failed refit is reported and not announced; a good one is announced once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trainer-'));
  let fail = true;
  const { bus, trainer, updates, request } = setup(dir, async () => {
    if (fail) throw new Error('log unreadable');
    return linearSystemTransitions({ count: 600, seed: 2, noiseStd: () => 0.01 });
  });
  try {
    request.publish({ data: '{}' });
    await trainer.idle();
    assert.equal(trainer.stats.rejected, 1);
    assert.deepEqual(updates, []);
    fail = false;
    // Three requests while one runs: coalesced into one more run.
    request.publish({ data: '{}' });
    request.publish({ data: '{}' });
    request.publish({ data: '{}' });
    await trainer.idle();
    assert.ok(trainer.stats.refits <= 2, `coalesced, got ${trainer.stats.refits} refits`);
    assert.ok(updates.length >= 1);
    const first = JSON.parse(updates[0]) as { version: number; dir: string };
    assert.equal(first.version, 1);
    assert.equal(trainer.version, updates.length);
  } finally {
    await trainer.close();
    await bus.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the controller swaps a new model in between ticks, never a half-loaded or corrupt one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trainer-'));
  const { bus, trainer, request } = setup(dir, async () =>
    linearSystemTransitions({ count: 600, seed: 3, noiseStd: () => 0.01 }),
  );
  try {
    const controllerNode = bus.createNode('controller');
    let serving: { model: EnsembleDynamics; version: number } | null = null;
    const swaps: number[] = [];
    const models = new ModelSubscriber(controllerNode, {
      install: async ({ dir: artifact, version }) => {
        // Loading takes several event-loop turns; ticks meanwhile must see the old model.
        const { dynamics } = await loadEnsemble(artifact);
        await new Promise((r) => setTimeout(r, 20));
        serving?.model.dispose();
        serving = { model: dynamics, version };
        swaps.push(version);
      },
    });
    // A "tick" every few ms records the model it would plan with.
    const seen: number[] = [];
    const timer = setInterval(() => {
      const s = serving as { model: EnsembleDynamics; version: number } | null;
      seen.push(s?.version ?? 0);
    }, 2);
    request.publish({ data: '{}' });
    await trainer.idle();
    await models.idle();
    // A corrupt announcement and a corrupt artifact: the serving model stays.
    const pub = bus
      .createNode('fake')
      .createPublisher('std_msgs/msg/String', 'model_update', { qos: 'latched' });
    pub.publish({ data: '{"version": "two"}' });
    const broken = join(dir, 'v0009');
    writeFileSync(join(dir, 'not-a-dir'), '');
    pub.publish({ data: JSON.stringify({ version: 9, dir: broken }) });
    await models.idle();
    // Let the ticker run after the swap (polling, so a loaded machine cannot make it flaky).
    const ticksAtSwap = seen.length;
    while (seen.length < ticksAtSwap + 3) await new Promise((r) => setTimeout(r, 5));
    clearInterval(timer);
    assert.deepEqual(swaps, [1]);
    assert.equal(models.version, 1);
    assert.equal(models.failures, 2);
    // Ticks saw the old model until the swap, then only the new one; never the corrupt v9.
    assert.ok(seen.length > 5, `ticks ran during training and loading (${seen.length})`);
    assert.ok(seen.every((v) => v === 0 || v === 1) && seen.every((v, i) => i === 0 || v >= seen[i - 1]));
    assert.equal(seen.at(-1), 1);
    (serving as { model: EnsembleDynamics } | null)?.model.dispose();
  } finally {
    await trainer.close();
    await bus.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});
