import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTask } from '../../config/task-loader.js';
import type { Task } from '../../config/task-schema.js';
import { Rng } from '../../math/rng.js';
import type { Propagation } from '../../models/dynamics-model.js';
import { EnsembleDynamics } from '../../models/ensemble-dynamics.js';
import { EnsembleNetwork } from '../../models/ensemble-network.js';
import type { EnsembleSpec } from '../../models/ensemble-spec.js';
import { Normalizer } from '../../models/normalizer.js';
import { initTfBackend } from '../../models/tf-backend.js';
import { TaskCost } from '../../tasks/task-cost.js';
import type { SequenceSpace } from '../optimizers/optimizer.js';
import { SimulatorDynamics } from '../simulator-dynamics.js';
import { TensorTaskCost } from '../tensor-task-cost.js';
import { randomEnsemble, scoreBoth } from '../testing.js';
import { TrajectoryEvaluator, type TrajectoryEvaluatorOptions } from '../trajectory-evaluator.js';
import { HostTrajectoryEvaluator } from './host-trajectory-evaluator.js';

await initTfBackend({ log: () => undefined });

// Cart-pole (an angle state, exp-distance cost) plus an action-rate term, so the previous
// action and the candidates' own previous steps are exercised too.
const cartpole = loadTask('cartpole-swingup').task;
const task: Task = { ...cartpole, cost: [...cartpole.cost, { type: 'action_rate', weight: 0.1 }] };
const space: SequenceSpace = { horizon: 8, actionDim: 1, low: Float32Array.of(-1), high: Float32Array.of(1) };
const start = [0.1, 3, 0.2, -0.3];
const previous = [0.2];

const ensemble = (seed: number, over: Partial<EnsembleSpec> = {}, elites = [2, 0, 1]) =>
  randomEnsemble(seed, { members: 3, hiddenUnits: 20, ...over }, elites);

function candidates(population: number, seed = 9): Float32Array {
  const rng = new Rng(seed);
  return new Float32Array(population * space.horizon).map(() => rng.uniformIn(-1, 1));
}

function pair(model: EnsembleDynamics, options: TrajectoryEvaluatorOptions, maxPopulation: number) {
  const tensorCost = new TensorTaskCost(task);
  return {
    tensor: new TrajectoryEvaluator(model, tensorCost.evaluate, space, options, 1, maxPopulation),
    host: new HostTrajectoryEvaluator(model, new TaskCost(task), space, options, 1, maxPopulation),
    dispose: () => tensorCost.dispose(),
  };
}

test('without noise, costs and particle statistics equal the tensor evaluator (expectation, TS-inf, one member)', () => {
  const model = ensemble(1);
  try {
    const cases: [Propagation, TrajectoryEvaluatorOptions['objective']][] = [
      ['expectation', 'expected'],
      ['tsinf', 'pessimistic'],
      ['tsinf', 'optimistic'],
      ['ts1', 'posterior_sampling'],
    ];
    for (const [propagation, objective] of cases) {
      // 5 particles over 3 elites: blocks of unequal size straddle candidates.
      const options = { particles: 5, propagation, objective, riskK: 0.7, sampleNoise: false };
      const { tensor, host, dispose } = pair(model, options, 40);
      for (const population of [40, 17, 1]) {
        const from = { state: start, previous, member: 1 };
        const [want, got] = scoreBoth(tensor, host, candidates(population), population, from);
        for (let i = 0; i < population; i++) {
          const what = `${propagation}/${objective}, population ${population}, candidate ${i}`;
          const mean = tensor.stats.mean[i];
          const close = (x: number, y: number, tol: number) =>
            Math.abs(x - y) <= tol * Math.max(1, Math.abs(y));
          assert.ok(Number.isFinite(got[i]), what);
          assert.ok(close(host.stats.mean[i], mean, 1e-5), `${what}: mean ${host.stats.mean[i]} vs ${mean}`);
          // The tensor path's std is E[x^2] - m^2 in float32, good to ~1e-3 of |mean| only;
          // the host's is two-pass in float64.
          const stdTol = 2e-3 * Math.max(0.1, Math.abs(mean));
          assert.ok(Math.abs(host.stats.std[i] - tensor.stats.std[i]) <= stdTol, `${what}: std`);
          assert.ok(
            close(got[i], want[i], 1e-5 + options.riskK * stdTol),
            `${what}: ${got[i]} vs ${want[i]}`,
          );
          const sign = objective === 'pessimistic' ? 1 : objective === 'optimistic' ? -1 : 0;
          assert.ok(
            close(got[i], host.stats.mean[i] + sign * 0.7 * host.stats.std[i], 1e-6),
            `${what}: objective`,
          );
        }
        assert.equal(host.bestSeen.cost, Math.min(...got));
      }
      assert.equal(host.modelRowSteps, (40 + 17 + 1) * 5 * space.horizon);
      dispose();
    }
  } finally {
    model.dispose();
  }
});

test('with sampled noise, mean costs and particle spread agree statistically with the tensor evaluator', () => {
  const model = ensemble(2);
  // One elite: the particles' spread is all aleatoric noise, so its scale is checked.
  const single = ensemble(2, {}, [1]);
  const population = 6;
  const repeats = 120;
  const c = candidates(population, 4);
  try {
    for (const [propagation, m] of [
      ['tsinf', model],
      ['ts1', model],
      ['expectation', model],
      ['tsinf', single],
    ] as const) {
      const options = {
        particles: 12,
        propagation,
        objective: 'expected' as const,
        riskK: 0,
        sampleNoise: true,
      };
      const { tensor, host, dispose } = pair(m, options, population);
      const moments = (evaluator: TrajectoryEvaluator | HostTrajectoryEvaluator) => {
        const costs = new Float32Array(population);
        const sum = new Float64Array(population + 1);
        const sq = new Float64Array(population + 1);
        for (let k = 0; k < repeats; k++) {
          evaluator.setStart(start, previous);
          evaluator.evaluate(c, population, costs);
          let spread = 0;
          for (let i = 0; i < population; i++) {
            sum[i] += costs[i];
            sq[i] += costs[i] ** 2;
            spread += evaluator.stats.std[i] / population;
          }
          sum[population] += spread;
          sq[population] += spread ** 2;
        }
        return Array.from(sum, (s, i) => ({ mean: s / repeats, var: sq[i] / repeats - (s / repeats) ** 2 }));
      };
      const a = moments(tensor);
      const b = moments(host);
      // Per candidate (and for the mean particle std, the last entry): |difference| < 5 standard errors.
      for (let i = 0; i <= population; i++) {
        const se = Math.sqrt((a[i].var + b[i].var) / repeats);
        const what = i < population ? `candidate ${i}` : 'particle spread';
        assert.ok(
          Math.abs(a[i].mean - b[i].mean) < 5 * se + 1e-6,
          `${propagation} ${what}: ${a[i].mean} vs ${b[i].mean} (se ${se})`,
        );
      }
      // The noise must matter here, or the comparison above says nothing about it.
      assert.ok(b[population].mean > 0.01, `${propagation}: particle spread ${b[population].mean}`);
      dispose();
    }
  } finally {
    model.dispose();
    single.dispose();
  }
});

test('a diverged rollout scores Infinity', () => {
  const spec: EnsembleSpec = {
    members: 1,
    stateDim: 4,
    actionDim: 1,
    angleIndices: [1],
    hiddenLayers: 1,
    hiddenUnits: 8,
    activation: 'relu',
  };
  // A delta mean of ~3e38 per step: the state overflows to Infinity on the second step.
  const model = new EnsembleDynamics(
    spec,
    EnsembleNetwork.initialize(spec, [0], new Rng(1), false),
    Normalizer.fromJson({ mean: new Array<number>(6).fill(0), std: new Array<number>(6).fill(1) }),
    Normalizer.fromJson({ mean: [3e38, 3e38, 3e38, 3e38], std: [1, 1, 1, 1] }),
    [0],
  );
  const options = {
    particles: 2,
    propagation: 'tsinf' as const,
    objective: 'expected' as const,
    riskK: 0,
    sampleNoise: true,
  };
  const { tensor, host, dispose } = pair(model, options, 3);
  try {
    const [want, got] = scoreBoth(tensor, host, candidates(3), 3, { state: start, previous: null });
    assert.deepEqual(Array.from(got), [Infinity, Infinity, Infinity]);
    assert.deepEqual(Array.from(want), Array.from(got));
    assert.equal(host.bestSeen.cost, Infinity);
  } finally {
    dispose();
    model.dispose();
  }
});

test('buffers are laid out once: no growth over many calls or a same-layout swap; a new layout re-allocates', () => {
  const first = ensemble(3);
  const refit = ensemble(4);
  const bigger = ensemble(5, { hiddenUnits: 40, activation: 'tanh' }, [1, 2]);
  const options = {
    particles: 3,
    propagation: 'tsinf' as const,
    objective: 'expected' as const,
    riskK: 0,
    sampleNoise: true,
  };
  const { host, dispose } = pair(first, options, 30);
  try {
    const costs = new Float32Array(30);
    host.setStart(start, previous);
    host.evaluate(candidates(30), 30, costs);
    const bytes = host.memoryBytes;
    for (let i = 0; i < 200; i++) {
      if (i === 100) host.setModel(refit);
      const population = 1 + (i % 30);
      host.setStart(start, previous);
      host.evaluate(candidates(population, i), population, costs);
    }
    assert.equal(host.memoryBytes, bytes, 'kernel memory grew');
    // The swapped-in model is the one used: scores equal a fresh evaluator's on it.
    const check = (model: EnsembleDynamics) => {
      const noiseless = { ...options, sampleNoise: false };
      const { tensor, dispose: done } = pair(model, noiseless, 30);
      const swapped = new HostTrajectoryEvaluator(first, new TaskCost(task), space, noiseless, 1, 30);
      swapped.setModel(model);
      const [want, got] = scoreBoth(tensor, swapped, candidates(30), 30, { state: start, previous });
      for (let i = 0; i < 30; i++)
        assert.ok(
          Math.abs(got[i] - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])),
          `candidate ${i}: ${got[i]} vs ${want[i]}`,
        );
      done();
      return swapped.memoryBytes;
    };
    check(refit);
    assert.ok(check(bigger) >= bytes);
  } finally {
    dispose();
    for (const m of [first, refit, bigger]) m.dispose();
  }
});

test('rejects models it cannot run and populations beyond its capacity', async () => {
  const model = ensemble(6);
  const options = {
    particles: 2,
    propagation: 'tsinf' as const,
    objective: 'expected' as const,
    riskK: 0,
    sampleNoise: false,
  };
  const { host, dispose } = pair(model, options, 4);
  const { TaskEnvironment } = await import('../../tasks/task-environment.js');
  const env = await TaskEnvironment.create(loadTask('cartpole-swingup'));
  try {
    assert.throws(() => host.setModel(new SimulatorDynamics(env)), /EnsembleDynamics/);
    assert.throws(() => host.evaluate(candidates(5), 5, new Float32Array(5)), /at most 4/);
    assert.throws(() => host.setStart([0, 0], null), /state has 2 entries/);
  } finally {
    dispose();
    env.dispose();
    model.dispose();
  }
});
