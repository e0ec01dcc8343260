import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTask } from '../config/task-loader.js';
import type { EnsembleDynamics } from '../models/ensemble-dynamics.js';
import { initTfBackend } from '../models/tf-backend.js';
import { TaskEnvironment } from '../tasks/task-environment.js';
import { buildMpcPlanner } from './build-mpc-planner.js';
import { HostTrajectoryEvaluator } from './host-rollouts/host-trajectory-evaluator.js';
import { ParallelTrajectoryEvaluator } from './parallel-trajectory-evaluator.js';
import { PlannerProfileSchema } from './planner-profile.js';
import { SimulatorDynamics } from './simulator-dynamics.js';
import { randomEnsemble } from './testing.js';
import { TrajectoryEvaluator } from './trajectory-evaluator.js';

await initTfBackend({ log: () => undefined });

const loaded = loadTask('cartpole-swingup');
const { task } = loaded;
const profile = (over: Record<string, unknown> = {}) =>
  PlannerProfileSchema.parse({
    horizon: 6,
    particles: 4,
    optimizer: { type: 'icem', population: 12, elites: 3, iterations: 2 },
    ensemble: { members: 2, hidden_layers: 2, hidden_units: 16 },
    ...over,
  });

const ensemble = (seed: number, units = 16) => randomEnsemble(seed, { hiddenUnits: units });

const build = (model: EnsembleDynamics | SimulatorDynamics, over: Record<string, unknown> = {}) =>
  buildMpcPlanner({ task, profile: profile(over), model, seed: 3, dt: task.dt, backend: 'wasm' });

test('a learned ensemble gets host rollouts by default, tensor ones on request; the simulator keeps tensor', async () => {
  const model = ensemble(1);
  const env = await TaskEnvironment.create(loaded);
  const planners = [
    await build(model),
    await build(model, { rollouts: 'tensor' }),
    await build(new SimulatorDynamics(env), { particles: 1 }),
  ];
  try {
    assert.ok(planners[0].rollouts instanceof HostTrajectoryEvaluator);
    assert.ok(planners[1].rollouts instanceof TrajectoryEvaluator);
    assert.ok(planners[2].rollouts instanceof TrajectoryEvaluator);
    for (const planner of planners) {
      const plan = planner.plan([0, Math.PI, 0, 0], 0);
      assert.equal(plan.actions.length, 6);
      assert.ok(Number.isFinite(plan.predictedReturn));
    }
  } finally {
    for (const planner of planners) planner.dispose();
    env.dispose();
    model.dispose();
  }
});

test('hot swap: a planner given a refitted model plans exactly as one built on it', async () => {
  const first = ensemble(1);
  const refit = ensemble(2);
  const wider = ensemble(3, 24);
  for (const next of [refit, wider]) {
    const swapped = await build(first);
    const fresh = await build(next);
    swapped.setModel(next, 7);
    const a = swapped.plan([0.1, 3, 0, 0], 0, { previousAction: [0.2] });
    const b = fresh.plan([0.1, 3, 0, 0], 0, { previousAction: [0.2] });
    assert.equal(a.modelVersion, 7);
    assert.deepEqual(Array.from(a.actions), Array.from(b.actions));
    assert.equal(a.predictedReturn, b.predictedReturn);
    swapped.dispose();
    fresh.dispose();
  }
  for (const m of [first, refit, wider]) m.dispose();
});

test('threads > 1 split the population across helper threads; a swap reaches them', async () => {
  const model = ensemble(4);
  const refit = ensemble(5);
  const planner = await build(model, { threads: 2 });
  try {
    assert.ok(planner.rollouts instanceof ParallelTrajectoryEvaluator);
    for (let i = 0; i < 3; i++)
      assert.ok(Number.isFinite(planner.plan([0, 3, 0, 0], i * task.dt).predictedReturn));
    planner.setModel(refit, 1);
    assert.ok(Number.isFinite(planner.plan([0, 3, 0, 0], 4 * task.dt).predictedReturn));
  } finally {
    planner.dispose();
    model.dispose();
    refit.dispose();
  }
});
