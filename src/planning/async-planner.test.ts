import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTask } from '../config/task-loader.js';
import { saveEnsemble } from '../models/ensemble-artifact.js';
import { trainEnsemble } from '../models/ensemble-trainer.js';
import { linearSystemTransitions } from '../models/test-systems.js';
import { initTfBackend } from '../models/tf-backend.js';
import { AsyncPlanner } from './async-planner.js';
import type { Plan } from './mpc-planner.js';
import { PlannerProfileSchema } from './planner-profile.js';
import type { EnsembleSpec } from '../models/ensemble-spec.js';
import { randomEnsemble } from './testing.js';

const taskFile = loadTask('pendulum-swingup').file;
const profile = PlannerProfileSchema.parse({
  horizon: 10,
  particles: 1,
  sample_noise: false,
  optimizer: { type: 'cem', population: 20, elites: 4, iterations: 2 },
  ensemble: { members: 1, hidden_layers: 1, hidden_units: 8 },
});

async function nextPlan(planner: AsyncPlanner, match: (p: Plan) => boolean): Promise<Plan> {
  for (;;) {
    const [plan] = (await once(planner, 'plan')) as [Plan];
    if (match(plan)) return plan;
  }
}

test('the worker plans continuously from the newest state and stamps each plan', async () => {
  const planner = new AsyncPlanner({
    taskFile,
    profile,
    model: { kind: 'simulator' },
    seed: 1,
    budgetMs: 1000,
    backend: 'auto',
  });
  try {
    assert.match(await planner.ready, /wasm|cpu|tensorflow/);
    assert.equal(planner.latest, null);
    planner.setState([Math.PI, 0], 1.0);
    const first = await nextPlan(planner, () => true);
    assert.equal(first.stamp, 1.0);
    assert.equal(first.actions.length, 10);
    assert.ok(first.iterations >= 1 && first.computeMs > 0 && Number.isFinite(first.predictedReturn));
    // Several snapshots in a row: the worker skips to the newest one.
    planner.setState([3, 0], 1.05);
    planner.setState([2, 0], 1.1);
    planner.setState([1, 0], 1.15);
    const newest = await nextPlan(planner, (p) => p.stamp !== 1.0);
    const later = newest.stamp === 1.15 ? newest : await nextPlan(planner, (p) => p.stamp === 1.15);
    assert.equal(later.stamp, 1.15);
    // With no new state it keeps refining the same one (anytime): more plans arrive.
    const count = planner.plans;
    await nextPlan(planner, () => planner.plans > count + 2);
    assert.equal((planner.latest as Plan | null)?.stamp, 1.15);
  } finally {
    await planner.stop();
  }
});

test('a plan respects its compute budget: no iteration starts after the deadline', async () => {
  const slow = PlannerProfileSchema.parse({
    ...profile,
    horizon: 20,
    optimizer: { type: 'cem', population: 200, elites: 10, iterations: 50 },
  });
  const planner = new AsyncPlanner({
    taskFile,
    profile: slow,
    model: { kind: 'simulator' },
    seed: 2,
    budgetMs: 30,
    backend: 'auto',
  });
  try {
    await planner.ready;
    planner.setState([Math.PI, 0], 0);
    const plan = await nextPlan(planner, () => true);
    // One iteration (200 x 20 simulator steps) takes well over 30 ms, so exactly one runs.
    assert.equal(plan.iterations, 1);
  } finally {
    await planner.stop();
  }
});

test('a model artifact is loaded in the worker, swapped in between plans; a bad one is refused', async () => {
  await initTfBackend({ log: () => undefined });
  const { dynamics, report } = await trainEnsemble(linearSystemTransitions({ count: 300, seed: 3 }), {
    spec: {
      members: 2,
      stateDim: 2,
      actionDim: 1,
      angleIndices: [0],
      hiddenLayers: 1,
      hiddenUnits: 8,
      activation: 'swish',
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
    elites: 2,
    seed: 1,
    workers: 0,
  }).result;
  const root = mkdtempSync(join(tmpdir(), 'mbrl-async-'));
  await saveEnsemble(join(root, 'v0001'), dynamics, { version: 1, report });
  await saveEnsemble(join(root, 'v0002'), dynamics, { version: 2, report });
  dynamics.dispose();
  const planner = new AsyncPlanner({
    taskFile,
    // Two threads: the swap must reach the rollout helper too (its plans would differ otherwise).
    profile: PlannerProfileSchema.parse({ ...profile, particles: 4, sample_noise: true, threads: 2 }),
    model: { kind: 'artifact', dir: join(root, 'v0001'), version: 1 },
    seed: 4,
    budgetMs: 1000,
    backend: 'auto',
  });
  const errors: Error[] = [];
  planner.on('error', (e) => errors.push(e));
  try {
    await planner.ready;
    planner.setState([0.5, 0], 0);
    assert.equal((await nextPlan(planner, () => true)).modelVersion, 1);
    planner.setModel({ kind: 'artifact', dir: join(root, 'missing'), version: 9 });
    planner.setModel({ kind: 'artifact', dir: join(root, 'v0002'), version: 2 });
    const [version] = (await once(planner, 'model')) as [number];
    assert.equal(version, 2);
    await nextPlan(planner, (p) => p.modelVersion === 2);
    // The newest request wins; had the missing one been tried it would be reported, never served.
    assert.ok(errors.every((e) => /model failed/.test(e.message)));
  } finally {
    await planner.stop();
  }
});

test('a planner that cannot start reports why', async () => {
  const planner = new AsyncPlanner({
    taskFile,
    profile,
    model: { kind: 'artifact', dir: '/nonexistent/v0001', version: 1 },
    seed: 1,
    budgetMs: 10,
    backend: 'auto',
  });
  await assert.rejects(planner.ready, /planner start failed: .*nonexistent/);
  await planner.stop();
});

test('setModel resolves when the model is in service and rejects, naming the artifact, when it is refused', async () => {
  const root = mkdtempSync(join(tmpdir(), 'mbrl-async-'));
  const pendulumSpec = {
    members: 2,
    stateDim: 2,
    actionDim: 1,
    angleIndices: [0],
    hiddenLayers: 1,
    hiddenUnits: 8,
    activation: 'swish',
  } satisfies EnsembleSpec;
  const variants: [string, Partial<EnsembleSpec>][] = [
    ['v0001', {}],
    ['v0002', {}],
    // Loads fine, but is not a model of this task: no angle input for the pendulum's angle.
    ['v0003', { angleIndices: [] }],
    ['v0004', { stateDim: 4, angleIndices: [1] }],
  ];
  for (const [name, over] of variants) {
    const model = randomEnsemble(1, { ...pendulumSpec, ...over });
    await saveEnsemble(join(root, name), model, { version: 1 });
    model.dispose();
  }
  const planner = new AsyncPlanner({
    taskFile,
    profile,
    model: { kind: 'artifact', dir: join(root, 'v0001'), version: 1 },
    seed: 5,
    budgetMs: 1000,
    backend: 'auto',
  });
  const errors: Error[] = [];
  planner.on('error', (e) => errors.push(e));
  try {
    await planner.ready;
    planner.setState([0.5, 0], 0);
    await assert.rejects(
      planner.setModel({ kind: 'artifact', dir: join(root, 'missing'), version: 2 }),
      /planner model failed: .*missing: model artifact directory does not exist/,
    );
    await assert.rejects(
      planner.setModel({ kind: 'artifact', dir: join(root, 'v0003'), version: 3 }),
      /v0003: model does not fit task pendulum-swingup: angleIndices none \(task: 0\)/,
    );
    await assert.rejects(
      planner.setModel({ kind: 'artifact', dir: join(root, 'v0004'), version: 4 }),
      /v0004: model does not fit task pendulum-swingup: stateDim 4 \(task: 2\), angleIndices 1 \(task: 0\)/,
    );
    assert.equal((await nextPlan(planner, () => true)).modelVersion, 1, 'the working model stays');
    await planner.setModel({ kind: 'artifact', dir: join(root, 'v0002'), version: 5 });
    await nextPlan(planner, (p) => p.modelVersion === 5);
    assert.equal(errors.length, 3);
    // Requests the worker never got to (a newer one replaced them) settle too; so does stop().
    const replaced = planner.setModel({ kind: 'artifact', dir: join(root, 'v0001'), version: 6 });
    const newest = planner.setModel({ kind: 'artifact', dir: join(root, 'v0002'), version: 7 });
    const outcomes = await Promise.allSettled([replaced, newest]);
    assert.equal(outcomes[1].status, 'fulfilled');
    if (outcomes[0].status === 'rejected')
      assert.match(String(outcomes[0].reason), /model v6 was replaced by v7 before it was loaded/);
    const late = planner.setModel({ kind: 'artifact', dir: join(root, 'v0001'), version: 8 });
    await planner.stop();
    await assert.rejects(late, /planner stopped/);
  } finally {
    await planner.stop();
  }
});

test('plans over budget are counted; a failing plan is the reason given until the next plan', async () => {
  const slow = PlannerProfileSchema.parse({
    ...profile,
    horizon: 20,
    optimizer: { type: 'cem', population: 200, elites: 10, iterations: 50 },
  });
  const planner = new AsyncPlanner({
    taskFile,
    profile: slow,
    model: { kind: 'simulator' },
    seed: 2,
    budgetMs: 1,
    backend: 'auto',
  });
  try {
    await planner.ready;
    planner.setState([Math.PI, 0], 0);
    await nextPlan(planner, () => planner.plans >= 2);
    assert.equal(planner.overruns, planner.plans, 'one iteration takes longer than 1 ms');
    assert.equal(planner.planFailure, null);
    // A state the planner cannot take (wrong length) fails that plan; the failure is kept.
    planner.setState([1, 2, 3], 1);
    await once(planner, 'error');
    // Read through a function: TypeScript would keep the narrowing of the assert above.
    const failure = (): Error | null => planner.planFailure;
    assert.match(failure()?.message ?? '', /^planner plan failed: /);
    planner.setState([Math.PI, 0], 2);
    await nextPlan(planner, (p) => p.stamp === 2);
    assert.equal(failure(), null);
  } finally {
    await planner.stop();
  }
});
