/**
 * Trajectory evaluation on several cores: the population is cut into contiguous slices,
 * this thread scores the first and helper workers (each with its own ensemble copy) the
 * others, all particles of a candidate staying in one thread so its statistics are
 * complete and the propagation semantics are those of the single-thread evaluator.
 * Candidates, start state and results go through shared memory and the threads meet on
 * Atomics.wait, so the optimizer keeps its synchronous objective.
 */
import { Worker } from 'node:worker_threads';
import type { Task } from '../config/task-schema.js';
import type { DynamicsModel } from '../models/dynamics-model.js';
import { EnsembleDynamics } from '../models/ensemble-dynamics.js';
import type { BackendPreference } from '../models/tf-backend.js';
import type { SequenceSpace } from './optimizers/optimizer.js';
import {
  CTRL,
  CTRL_SIZE,
  JOB,
  slice,
  type RolloutShared,
  type RolloutWorkerData,
} from './rollout-protocol.js';
import { createRolloutEvaluator, type RolloutEvaluator, type RolloutKind } from './rollout-evaluator.js';
import type {
  BestSeen,
  CandidateStats,
  RolloutObjective,
  TrajectoryEvaluatorOptions,
} from './trajectory-evaluator.js';

export interface ParallelEvaluatorOptions {
  task: Task;
  model: EnsembleDynamics;
  space: SequenceSpace;
  options: TrajectoryEvaluatorOptions;
  seed: number;
  maxPopulation: number;
  /** Threads in all, this one included (>= 2). */
  threads: number;
  /** Every thread's rollouts: 'host' (WebAssembly SIMD kernel) or 'tensor' (tfjs, the default). */
  rollouts?: RolloutKind;
  backend?: BackendPreference;
  /** How long to wait for a helper before declaring it dead. */
  timeoutMs?: number;
}

const ERROR_BYTES = 1024;

export class ParallelTrajectoryEvaluator implements RolloutObjective {
  readonly stats: CandidateStats;
  readonly bestSeen: BestSeen = { cost: Infinity, mean: NaN, std: NaN };
  modelRowSteps = 0;
  private readonly part: RolloutEvaluator;
  private readonly ctrl: Int32Array;
  private readonly candidates: Float32Array;
  private readonly state: Float32Array;
  private readonly previous: Float32Array;
  private readonly costsShared: Float32Array;
  private readonly meanShared: Float32Array;
  private readonly stdShared: Float32Array;
  private readonly errorText: Uint8Array;
  private readonly localCosts: Float32Array;
  private seed: number;
  private closed = false;

  private constructor(
    private readonly opts: ParallelEvaluatorOptions,
    private readonly shared: RolloutShared,
    private readonly workers: Worker[],
  ) {
    const { space, maxPopulation } = opts;
    this.part = createRolloutEvaluator(
      opts.rollouts ?? 'tensor',
      opts.model,
      opts.task,
      space,
      opts.options,
      opts.seed,
      maxPopulation,
    );
    this.ctrl = new Int32Array(shared.control);
    this.candidates = new Float32Array(shared.candidates);
    this.state = new Float32Array(shared.state);
    this.previous = new Float32Array(shared.previous);
    this.costsShared = new Float32Array(shared.costs);
    this.meanShared = new Float32Array(shared.mean);
    this.stdShared = new Float32Array(shared.std);
    this.errorText = new Uint8Array(shared.error);
    this.localCosts = new Float32Array(maxPopulation);
    this.stats = { mean: new Float32Array(maxPopulation), std: new Float32Array(maxPopulation) };
    this.seed = opts.seed;
  }

  /** Starts the helpers and waits until each has its model loaded. */
  static async create(opts: ParallelEvaluatorOptions): Promise<ParallelTrajectoryEvaluator> {
    if (!Number.isInteger(opts.threads) || opts.threads < 2)
      throw new RangeError(`a parallel evaluator needs >= 2 threads, got ${opts.threads}`);
    const { horizon: H, actionDim: A } = opts.space;
    const f32 = (n: number) => new SharedArrayBuffer(4 * Math.max(1, n));
    const shared: RolloutShared = {
      control: new SharedArrayBuffer(4 * CTRL_SIZE),
      candidates: f32(opts.maxPopulation * H * A),
      state: f32(opts.model.stateDim),
      previous: f32(A),
      costs: f32(opts.maxPopulation),
      mean: f32(opts.maxPopulation),
      std: f32(opts.maxPopulation),
      error: new SharedArrayBuffer(ERROR_BYTES),
    };
    const transfer = opts.model.toTransfer();
    const workers = Array.from({ length: opts.threads - 1 }, (_, i) => {
      const workerData: RolloutWorkerData = {
        index: i + 1,
        parts: opts.threads,
        task: opts.task,
        model: transfer,
        space: opts.space,
        options: opts.options,
        seed: opts.seed,
        maxPopulation: opts.maxPopulation,
        rollouts: opts.rollouts ?? 'tensor',
        backend: opts.backend ?? 'auto',
        shared,
      };
      return new Worker(new URL('./rollout-worker.js', import.meta.url), { workerData });
    });
    const ctrl = new Int32Array(shared.control);
    const deadline = performance.now() + (opts.timeoutMs ?? 60_000);
    while (Atomics.load(ctrl, CTRL.ready) < workers.length) {
      if (performance.now() > deadline) {
        await Promise.all(workers.map((w) => w.terminate()));
        throw new Error('rollout workers did not start in time');
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const evaluator = new ParallelTrajectoryEvaluator(opts, shared, workers);
    if (Atomics.load(ctrl, CTRL.failed)) {
      const message = evaluator.takeError();
      evaluator.dispose();
      throw new Error(message);
    }
    return evaluator;
  }

  setStart(state: ArrayLike<number>, previousAction: ArrayLike<number> | null): void {
    this.part.evaluator.setStart(state, previousAction);
    this.state.set(state);
    Atomics.store(this.ctrl, CTRL.hasPrevious, previousAction ? 1 : 0);
    if (previousAction) this.previous.set(previousAction);
    Atomics.store(this.ctrl, CTRL.member, this.part.evaluator.planMember ?? -1);
    this.bestSeen.cost = Infinity;
    this.bestSeen.mean = NaN;
    this.bestSeen.std = NaN;
  }

  evaluate(candidates: Float32Array, population: number, costs: Float32Array): void {
    const { horizon: H, actionDim: A } = this.opts.space;
    const parts = this.workers.length + 1;
    if (population > this.opts.maxPopulation)
      throw new RangeError(
        `asked to score ${population} candidates; this evaluator holds at most ${this.opts.maxPopulation}`,
      );
    this.candidates.set(candidates.subarray(0, population * H * A));
    Atomics.store(this.ctrl, CTRL.population, population);
    Atomics.store(this.ctrl, CTRL.seed, ++this.seed);
    this.dispatch(JOB.evaluate, () => {
      const [, end] = slice(population, 0, parts);
      if (end > 0) this.part.evaluator.evaluate(candidates.subarray(0, end * H * A), end, this.localCosts);
    });
    const [, end] = slice(population, 0, parts);
    for (let i = 0; i < population; i++) {
      const mine = i < end;
      const c = mine ? this.localCosts[i] : this.costsShared[i];
      costs[i] = c;
      this.stats.mean[i] = mine ? this.part.evaluator.stats.mean[i] : this.meanShared[i];
      this.stats.std[i] = mine ? this.part.evaluator.stats.std[i] : this.stdShared[i];
      if (c < this.bestSeen.cost) {
        this.bestSeen.cost = c;
        this.bestSeen.mean = this.stats.mean[i];
        this.bestSeen.std = this.stats.std[i];
      }
    }
    this.modelRowSteps += population * this.opts.options.particles * H;
  }

  setModel(model: DynamicsModel): void {
    if (!(model instanceof EnsembleDynamics))
      throw new TypeError('a parallel evaluator needs an EnsembleDynamics model');
    this.part.evaluator.setModel(model);
    const transfer = model.toTransfer();
    for (const w of this.workers) w.postMessage(transfer);
    this.dispatch(JOB.reload, () => undefined);
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, CTRL.job, JOB.stop);
    Atomics.add(this.ctrl, CTRL.generation, 1);
    Atomics.notify(this.ctrl, CTRL.generation);
    for (const w of this.workers) void w.terminate();
    this.part.dispose();
  }

  /** Wakes the helpers for `job`, does this thread's share, then waits for all helpers. */
  private dispatch(job: number, own: () => void): void {
    if (this.closed) throw new Error('the parallel evaluator has been disposed');
    Atomics.store(this.ctrl, CTRL.job, job);
    Atomics.store(this.ctrl, CTRL.done, 0);
    Atomics.add(this.ctrl, CTRL.generation, 1);
    Atomics.notify(this.ctrl, CTRL.generation);
    let ownError: unknown = null;
    try {
      own();
    } catch (error) {
      ownError = error;
    }
    const helpers = this.workers.length;
    const deadline = performance.now() + (this.opts.timeoutMs ?? 60_000);
    for (
      let done = Atomics.load(this.ctrl, CTRL.done);
      done < helpers;
      done = Atomics.load(this.ctrl, CTRL.done)
    ) {
      const left = deadline - performance.now();
      if (left <= 0)
        throw new Error(`rollout workers did not answer within ${this.opts.timeoutMs ?? 60_000} ms`);
      Atomics.wait(this.ctrl, CTRL.done, done, left);
    }
    if (ownError) throw ownError;
    if (Atomics.load(this.ctrl, CTRL.failed)) throw new Error(this.takeError());
  }

  private takeError(): string {
    const end = this.errorText.indexOf(0);
    const text = new TextDecoder().decode(this.errorText.slice(0, end < 0 ? this.errorText.length : end));
    Atomics.store(this.ctrl, CTRL.failed, 0);
    return text || 'a rollout worker failed';
  }
}
