/**
 * Ensemble throughput: batched prediction through a 5-member ensemble of 3 x 200 swish
 * layers (every member on every row, and TS-inf blocks), and training on 10k transitions
 * for 25 epochs; with achieved GFLOP/s. Run per tfjs backend for contrast.
 */
import * as tf from '@tensorflow/tfjs';
import { EnsembleDynamics } from '../src/models/ensemble-dynamics.js';
import { EnsembleNetwork } from '../src/models/ensemble-network.js';
import { forwardFlopsPerRow, inputDim, type EnsembleSpec } from '../src/models/ensemble-spec.js';
import { trainEnsemble } from '../src/models/ensemble-trainer.js';
import { Normalizer } from '../src/models/normalizer.js';
import { initTfBackend, type BackendPreference } from '../src/models/tf-backend.js';
import { Rng } from '../src/math/rng.js';
import type { BenchRow } from './bench-report.js';

const spec: EnsembleSpec = {
  members: 5,
  stateDim: 4,
  actionDim: 1,
  angleIndices: [1],
  hiddenLayers: 3,
  hiddenUnits: 200,
  activation: 'swish',
};

function randomTransitions(count: number, rng: Rng) {
  const states = new Float32Array(count * 4).map(() => rng.normal());
  const actions = new Float32Array(count).map(() => rng.uniformIn(-1, 1));
  const nextStates = states.map((s) => s + 0.05 * rng.normal());
  return { count, stateDim: 4, actionDim: 1, states, actions, nextStates };
}

async function predictionRows(backend: BackendPreference, seconds: number): Promise<BenchRow[]> {
  await initTfBackend({ preference: backend, log: () => undefined });
  const rng = new Rng(1);
  const ids = [0, 1, 2, 3, 4];
  const identity = (dim: number) =>
    Normalizer.fromJson({ mean: new Array<number>(dim).fill(0), std: new Array<number>(dim).fill(1) });
  const dyn = new EnsembleDynamics(
    spec,
    EnsembleNetwork.initialize(spec, ids, rng, false),
    identity(inputDim(spec)),
    identity(4),
    ids,
  );
  const rows = 8000;
  const s = tf.randomNormal([rows, 4]) as tf.Tensor2D;
  const a = tf.randomUniform([rows, 1], -1, 1) as tf.Tensor2D;
  const out: BenchRow[] = [];
  const cases: [string, number, () => tf.Tensor][] = [
    ['predict: every member on 8000 rows', rows * spec.members, () => dyn.predictAll(s, a).mean],
    [
      'step ts-inf: 8000 rows over 5 members',
      rows,
      () => dyn.step(s, a, { propagation: 'tsinf', sample: true, seed: 1 }),
    ],
  ];
  for (const [name, memberRows, fn] of cases) {
    const call = async () => {
      const t = fn();
      await t.data();
      t.dispose();
    };
    await call();
    // Per-call times: the median is the typical cost, the best what the kernels reach unloaded.
    const times: number[] = [];
    const start = performance.now();
    while (performance.now() - start < seconds * 1000 || times.length < 3) {
      const t0 = performance.now();
      await call();
      times.push((performance.now() - t0) / 1000);
    }
    times.sort((x, y) => x - y);
    const median = times[Math.floor(times.length / 2)];
    const flops = memberRows * forwardFlopsPerRow(spec);
    out.push({
      backend: tf.getBackend(),
      case: name,
      calls: times.length,
      ms_per_call_median: median * 1000,
      member_rows_per_s: memberRows / median,
      gflop_per_s_median: flops / median / 1e9,
      gflop_per_s_best: flops / times[0] / 1e9,
    });
  }
  tf.dispose([s, a]);
  dyn.dispose();
  return out;
}

async function trainingRow(backend: BackendPreference, epochs: number, workers: number): Promise<BenchRow> {
  const data = randomTransitions(10_000, new Rng(2));
  const started = performance.now();
  const { dynamics, report } = await trainEnsemble(data, {
    spec,
    hyper: {
      epochs,
      batchSize: 256,
      learningRate: 1e-3,
      weightDecay: 1e-5,
      patience: epochs, // no early stop: time the full budget
      improvementThreshold: 0.01,
      bootstrap: true,
    },
    holdoutRatio: 0.1,
    elites: 5,
    seed: 1,
    workers,
    backend,
  }).result;
  const sec = (performance.now() - started) / 1000;
  dynamics.dispose();
  const rowsSeen = report.members.reduce((n, m) => n + m.epochs_run, 0) * report.train_rows;
  // Forward + backward ~ 3x the forward FLOPs per row.
  return {
    backend: report.backend,
    case: `train 10k transitions x ${epochs} epochs, batch 256, ${workers} worker(s)`,
    seconds: sec,
    seconds_for_25_epochs: (sec * 25) / epochs,
    gflop_per_s: (3 * rowsSeen * forwardFlopsPerRow(spec)) / sec / 1e9,
  };
}

export async function modelBenchmark(seconds: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  rows.push(...(await predictionRows('wasm', seconds)));
  rows.push(await trainingRow('wasm', 25, 2));
  rows.push(await trainingRow('wasm', 25, 1));
  rows.push(...(await predictionRows('cpu', seconds)));
  // The plain JS backend is ~30x slower: one epoch, extrapolated, is enough for contrast.
  rows.push(await trainingRow('cpu', 1, 2));
  await initTfBackend({ preference: 'wasm', log: () => undefined });
  return rows;
}
