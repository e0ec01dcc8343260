/**
 * Planning latency per control step: fixed budgets on cart-pole shapes (4 states with the
 * pole angle as sin/cos, 1 action), comparable with mbrl-lib's measurements on the same kind
 * of machine, and every task's `realtime` profile on its own shapes; each with host rollouts
 * (WebAssembly SIMD kernel) and tensor rollouts (tfjs-wasm), the fixed budgets on one and two
 * threads. Ensembles are randomly initialised: timing does not depend on what the weights
 * learned. Each plan warm-starts from the previous one.
 */
import * as tf from '@tensorflow/tfjs';
import { loadTask } from '../src/config/task-loader.js';
import type { Task } from '../src/config/task-schema.js';
import { Rng } from '../src/math/rng.js';
import { EnsembleDynamics } from '../src/models/ensemble-dynamics.js';
import { EnsembleNetwork } from '../src/models/ensemble-network.js';
import { forwardFlopsPerRow, inputDim, type EnsembleSpec } from '../src/models/ensemble-spec.js';
import { Normalizer } from '../src/models/normalizer.js';
import { initTfBackend } from '../src/models/tf-backend.js';
import { buildMpcPlanner } from '../src/planning/build-mpc-planner.js';
import { ACTIVATION_CODES, MlpKernel } from '../src/planning/host-rollouts/mlp-kernel.js';
import type { OptimizerConfig } from '../src/planning/optimizers/index.js';
import {
  loadPlannerProfile,
  PlannerProfileSchema,
  type PlannerProfile,
} from '../src/planning/planner-profile.js';
import type { RolloutKind } from '../src/planning/rollout-evaluator.js';
import type { BenchRow } from './bench-report.js';

interface Budget {
  name: string;
  task: string;
  profile: PlannerProfile;
  peerP50?: string;
  plans: number;
}

const budget = (
  name: string,
  sizes: { members: number; layers: number; units: number; horizon: number; particles: number },
  optimizer: OptimizerConfig,
  plans: number,
  peerP50: string,
): Budget => ({
  name,
  task: 'cartpole-swingup',
  plans,
  peerP50,
  profile: PlannerProfileSchema.parse({
    horizon: sizes.horizon,
    particles: sizes.particles,
    propagation: 'tsinf',
    objective: 'expected',
    sample_noise: true,
    optimizer,
    ensemble: { members: sizes.members, hidden_layers: sizes.layers, hidden_units: sizes.units },
  }),
});

const BUDGETS: Budget[] = [
  budget(
    'small',
    { members: 5, layers: 2, units: 64, horizon: 15, particles: 5 },
    { type: 'cem', population: 100, elites: 10, iterations: 3 },
    100,
    '44 ms / 416 ms',
  ),
  budget(
    'mbrl-lib default',
    { members: 7, layers: 4, units: 200, horizon: 15, particles: 20 },
    { type: 'cem', population: 350, elites: 35, iterations: 5 },
    4,
    '5.0 s / 5.1 s',
  ),
  budget(
    'PETS paper',
    { members: 5, layers: 3, units: 500, horizon: 25, particles: 20 },
    { type: 'cem', population: 400, elites: 40, iterations: 5 },
    2,
    '14.6 s',
  ),
];

/** GFLOP/s of `run` (`flops` each) from its fastest of 25 calls after one warm-up: a peak. */
function rate(flops: number, run: () => void): number {
  run();
  let best = Infinity;
  for (let i = 0; i < 25; i++) {
    const t0 = performance.now();
    run();
    best = Math.min(best, performance.now() - t0);
  }
  return flops / (best / 1000) / 1e9;
}

/** Fused 8000x200x200 matmul on tfjs-wasm (XNNPACK): the tensor rollouts' kernel peak. */
function tensorMatmulPeak(): number {
  const a = tf.randomNormal([8000, 200]) as tf.Tensor2D;
  const b = tf.randomNormal([200, 200]) as tf.Tensor2D;
  const bias = tf.zeros([200]) as tf.Tensor1D;
  const peak = rate(2 * 8000 * 200 * 200, () => {
    const t = tf.fused.matMul({ a, b, bias });
    t.dataSync();
    t.dispose();
  });
  tf.dispose([a, b, bias]);
  return peak;
}

/** The same product in the host SIMD kernel: the host rollouts' peak. */
function hostMatmulPeak(): number {
  const kernel = new MlpKernel();
  const rng = new Rng(1);
  const x = 64;
  const w = x + 4 * 8000 * 200;
  const b = w + 4 * 200 * 200;
  const y = b + 4 * 200;
  kernel.reserve(y + 4 * 8000 * 200);
  for (let i = x >> 2; i < y >> 2; i++) kernel.f32[i] = rng.normal();
  return rate(2 * 8000 * 200 * 200, () =>
    kernel.run.dense(x, w, b, y, 8000, 200, 200, ACTIVATION_CODES.none),
  );
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** A start state from the task's initial-state means (cart-pole and pendulum hang down). */
function startState(task: Task): number[] {
  return task.state.map((s) => task.initial_state.mean[s.name] ?? 0);
}

async function runBudget(b: Budget, peaks: Record<RolloutKind, number>): Promise<BenchRow> {
  const task = loadTask(b.task).task;
  const p = b.profile;
  const spec: EnsembleSpec = {
    members: p.ensemble.members,
    stateDim: task.state.length,
    actionDim: task.action.length,
    angleIndices: task.state.flatMap((field, i) => (field.wrap ? [i] : [])),
    hiddenLayers: p.ensemble.hidden_layers,
    hiddenUnits: p.ensemble.hidden_units,
    activation: 'swish',
  };
  const ids = Array.from({ length: spec.members }, (_, i) => i);
  const identity = (d: number) =>
    Normalizer.fromJson({ mean: new Array<number>(d).fill(0), std: new Array<number>(d).fill(1) });
  const model = new EnsembleDynamics(
    spec,
    EnsembleNetwork.initialize(spec, ids, new Rng(1), false),
    identity(inputDim(spec)),
    identity(spec.stateDim),
    ids,
  );
  const planner = await buildMpcPlanner({ task, profile: p, model, seed: 1, dt: task.dt, backend: 'wasm' });
  const state = startState(task);
  // Warm-up: kernels compiled, buffers sized, per-layout constants cached (iCEM's population
  // sizes settle from the second plan on, when kept elites join).
  const warmup = b.plans >= 10 ? 3 : 1;
  for (let i = 0; i < warmup; i++) planner.plan(state, (i - warmup) * task.dt);
  const tensorsBefore = tf.memory().numTensors;
  const stepsBefore = planner.modelRowSteps;
  const times: number[] = [];
  const started = performance.now();
  for (let i = 1; i <= b.plans; i++) times.push(planner.plan(state, i * task.dt).computeMs);
  const wall = (performance.now() - started) / 1000;
  const rowSteps = planner.modelRowSteps - stepsBefore;
  const leaked = tf.memory().numTensors - tensorsBefore;
  planner.dispose();
  model.dispose();
  times.sort((x, y) => x - y);
  const gflops = (rowSteps * forwardFlopsPerRow(spec)) / wall / 1e9;
  const o = p.optimizer;
  return {
    budget: b.name,
    rollouts: p.rollouts,
    threads: p.threads,
    ensemble: `${spec.members} x ${spec.hiddenLayers}x${spec.hiddenUnits}`,
    horizon: p.horizon,
    population: 'population' in o && o.population ? o.population : '',
    iterations: 'iterations' in o && o.iterations ? o.iterations : 1,
    particles: p.particles,
    optimizer: o.type,
    plans: b.plans,
    p50_ms: quantile(times, 0.5),
    p95_ms: quantile(times, 0.95),
    model_row_steps_per_s: rowSteps / wall,
    gflop_per_s: gflops,
    fraction_of_peak: gflops / peaks[p.rollouts],
    peak_gflop_per_s: peaks[p.rollouts],
    mbrl_lib_p50_p95: b.peerP50 ?? '',
    tensors_added_after_warmup: leaked,
  };
}

export async function plannerBenchmark(_seconds: number): Promise<BenchRow[]> {
  await initTfBackend({ preference: 'wasm', log: () => undefined });
  const peaks: Record<RolloutKind, number> = { tensor: tensorMatmulPeak(), host: hostMatmulPeak() };
  const withRollouts = (b: Budget, rollouts: RolloutKind, threads = b.profile.threads): Budget => ({
    ...b,
    profile: { ...b.profile, rollouts, threads },
  });
  // Every fixed budget with both rollouts, on one thread and on two (the population split
  // across cores); every task's realtime profile as shipped, with both rollouts.
  const budgets = BUDGETS.flatMap((b) =>
    (['host', 'tensor'] as const).flatMap((r) => [withRollouts(b, r, 1), withRollouts(b, r, 2)]),
  );
  for (const task of ['cartpole-swingup', 'pendulum-swingup', 'reacher-2link']) {
    const profile = loadPlannerProfile(task, 'realtime');
    const b: Budget = { name: `${task} realtime`, task, profile, plans: 100 };
    budgets.push(withRollouts(b, 'host'), withRollouts(b, 'tensor'));
  }
  const rows: BenchRow[] = [];
  // MBRL_BENCH_FILTER="small host,realtime" runs only the runs whose "<budget> <rollouts>
  // <threads>t" label contains one of the comma-separated strings.
  const filter = (process.env.MBRL_BENCH_FILTER ?? '').split(',').filter(Boolean);
  const label = (b: Budget) => `${b.name} ${b.profile.rollouts} ${b.profile.threads}t`;
  for (const b of budgets.filter((x) => filter.length === 0 || filter.some((f) => label(x).includes(f)))) {
    process.stderr.write(`planner bench: ${label(b)}...\n`);
    rows.push(await runBudget(b, peaks));
  }
  return rows;
}
