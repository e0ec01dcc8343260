/**
 * Planning latency per control step on cart-pole shapes (4 states with the pole angle as
 * sin/cos, 1 action): fixed budgets comparable with mbrl-lib's measurements on the same
 * kind of machine, and the shipped profiles. Ensembles are randomly initialised: timing does
 * not depend on what the weights learned. Each plan warm-starts from the previous one.
 */
import * as tf from '@tensorflow/tfjs';
import { loadTask } from '../src/config/task-loader.js';
import { Rng } from '../src/math/rng.js';
import { EnsembleDynamics } from '../src/models/ensemble-dynamics.js';
import { EnsembleNetwork } from '../src/models/ensemble-network.js';
import { forwardFlopsPerRow, inputDim, type EnsembleSpec } from '../src/models/ensemble-spec.js';
import { Normalizer } from '../src/models/normalizer.js';
import { initTfBackend } from '../src/models/tf-backend.js';
import { MpcPlanner } from '../src/planning/mpc-planner.js';
import { createOptimizer, type OptimizerConfig } from '../src/planning/optimizers/index.js';
import { loadPlannerProfile } from '../src/planning/planner-profile.js';
import { ParallelTrajectoryEvaluator } from '../src/planning/parallel-trajectory-evaluator.js';
import { TensorTaskCost } from '../src/planning/tensor-task-cost.js';
import type { BenchRow } from './bench-report.js';

interface Budget {
  name: string;
  members: number;
  layers: number;
  units: number;
  horizon: number;
  particles: number;
  optimizer: OptimizerConfig;
  peerP50?: string;
  plans: number;
  threads: number;
}

const BUDGETS: Budget[] = [
  {
    name: 'small',
    members: 5,
    layers: 2,
    units: 64,
    horizon: 15,
    particles: 5,
    optimizer: { type: 'cem', population: 100, elites: 10, iterations: 3 },
    peerP50: '44 ms / 416 ms',
    plans: 60,
    threads: 1,
  },
  {
    name: 'mbrl-lib default',
    members: 7,
    layers: 4,
    units: 200,
    horizon: 15,
    particles: 20,
    optimizer: { type: 'cem', population: 350, elites: 35, iterations: 5 },
    peerP50: '5.0 s / 5.1 s',
    plans: 4,
    threads: 1,
  },
  {
    name: 'PETS paper',
    members: 5,
    layers: 3,
    units: 500,
    horizon: 25,
    particles: 20,
    optimizer: { type: 'cem', population: 400, elites: 40, iterations: 5 },
    peerP50: '14.6 s',
    plans: 2,
    threads: 1,
  },
];

/** Fused 8000x200x200 matmul: the kernel peak the rollouts are measured against. */
function matmulPeak(): number {
  const a = tf.randomNormal([8000, 200]) as tf.Tensor2D;
  const b = tf.randomNormal([200, 200]) as tf.Tensor2D;
  const bias = tf.zeros([200]) as tf.Tensor1D;
  const run = () => {
    const t = tf.fused.matMul({ a, b, bias });
    t.dataSync();
    t.dispose();
  };
  run();
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    run();
    times.push(performance.now() - t0);
  }
  tf.dispose([a, b, bias]);
  times.sort((x, y) => x - y);
  return (2 * 8000 * 200 * 200) / (times[Math.floor(times.length / 2)] / 1000) / 1e9;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function runBudget(b: Budget, peak: number): Promise<BenchRow> {
  const task = loadTask('cartpole-swingup').task;
  const spec: EnsembleSpec = {
    members: b.members,
    stateDim: 4,
    actionDim: 1,
    angleIndices: [1],
    hiddenLayers: b.layers,
    hiddenUnits: b.units,
    activation: 'swish',
  };
  const ids = Array.from({ length: b.members }, (_, i) => i);
  const identity = (d: number) =>
    Normalizer.fromJson({ mean: new Array<number>(d).fill(0), std: new Array<number>(d).fill(1) });
  const model = new EnsembleDynamics(
    spec,
    EnsembleNetwork.initialize(spec, ids, new Rng(1), false),
    identity(inputDim(spec)),
    identity(4),
    ids,
  );
  const cost = new TensorTaskCost(task);
  const space = { horizon: b.horizon, actionDim: 1, low: Float32Array.of(-1), high: Float32Array.of(1) };
  const optimizer = createOptimizer(b.optimizer, space, 1);
  const population =
    'population' in b.optimizer && b.optimizer.population ? b.optimizer.population : optimizer.maxPopulation;
  const evaluator = {
    particles: b.particles,
    propagation: 'tsinf',
    objective: 'expected',
    riskK: 0,
    sampleNoise: true,
  } as const;
  const rollouts =
    b.threads > 1
      ? await ParallelTrajectoryEvaluator.create({
          task,
          model,
          space,
          options: evaluator,
          seed: 1,
          maxPopulation: optimizer.maxPopulation,
          threads: b.threads,
          backend: 'wasm',
        })
      : undefined;
  const planner = new MpcPlanner({
    model,
    cost: cost.evaluate,
    optimizer,
    rollouts,
    evaluator,
    dt: task.dt,
    seed: 1,
  });
  const state = [0, Math.PI, 0, 0];
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
  rollouts?.dispose();
  cost.dispose();
  model.dispose();
  times.sort((x, y) => x - y);
  const gflops = (rowSteps * forwardFlopsPerRow(spec)) / wall / 1e9;
  return {
    budget: b.name,
    threads: b.threads,
    ensemble: `${b.members} x ${b.layers}x${b.units}`,
    horizon: b.horizon,
    population: population,
    iterations: 'iterations' in b.optimizer && b.optimizer.iterations ? b.optimizer.iterations : 1,
    particles: b.particles,
    optimizer: b.optimizer.type,
    plans: b.plans,
    p50_ms: quantile(times, 0.5),
    p95_ms: quantile(times, 0.95),
    model_row_steps_per_s: rowSteps / wall,
    gflop_per_s: gflops,
    fraction_of_matmul_peak: gflops / peak,
    mbrl_lib_p50_p95: b.peerP50 ?? '',
    tensors_added_after_warmup: leaked,
  };
}

export async function plannerBenchmark(_seconds: number): Promise<BenchRow[]> {
  await initTfBackend({ preference: 'wasm', log: () => undefined });
  const peak = matmulPeak();
  // Every fixed budget on one thread and on two (the population split across cores).
  const budgets = BUDGETS.flatMap((b) => [b, { ...b, threads: 2 }]);
  for (const profile of ['realtime', 'paper']) {
    const p = loadPlannerProfile('cartpole-swingup', profile);
    budgets.push({
      name: `profile ${profile}`,
      members: p.ensemble.members,
      layers: p.ensemble.hidden_layers,
      units: p.ensemble.hidden_units,
      horizon: p.horizon,
      particles: p.particles,
      optimizer: p.optimizer,
      plans: profile === 'realtime' ? 100 : 2,
      threads: p.threads,
    });
  }
  const rows: BenchRow[] = [];
  // MBRL_BENCH_FILTER=small,realtime runs only the budgets whose names contain one of these.
  const filter = (process.env.MBRL_BENCH_FILTER ?? '').split(',').filter(Boolean);
  for (const b of budgets.filter((x) => filter.length === 0 || filter.some((f) => x.name.includes(f)))) {
    process.stderr.write(`planner bench: ${b.name}, ${b.threads} thread(s)...\n`);
    rows.push({ ...(await runBudget(b, peak)), matmul_peak_gflop_per_s: peak });
  }
  return rows;
}
