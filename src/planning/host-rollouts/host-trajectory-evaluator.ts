/**
 * TrajectoryEvaluator's rollouts on the host: features, the ensemble, noise and next states run
 * in the WebAssembly SIMD kernel (mlp-kernel.wat), the task cost is TaskCost in Float64 over
 * each particle block, and no tfjs operation runs per step. Small planning budgets on
 * tfjs-wasm are bound by per-operation overhead (~50 ops of 10-180 us per model step); here a
 * model step is a handful of kernel calls and allocates nothing.
 *
 * Semantics are TrajectoryEvaluator's (PETS trajectory sampling, Chua et al. 2018 sec. 5):
 * rows are particle-major (row = particle * population + candidate); TS-inf sends contiguous
 * row block k to elite k for the whole horizon, exactly as EnsembleDynamics does, so each
 * candidate's particles spread over the members; TS1 re-draws the member of every particle
 * at every step (a random row -> slot permutation, then the same blocks); expectation
 * averages every elite's mean (and variance, when sampling); posterior sampling sends every
 * row through one elite drawn per plan. Aleatoric noise uses the PETS soft log-variance
 * bounds; angles enter as sin/cos and next states are re-wrapped. A rollout that diverges
 * (non-finite cost) scores Infinity. Noise is drawn from the project's Rng (xoshiro128**
 * words, turned into normals by a vectorised Box-Muller in the kernel), so streams differ
 * from the tensor path's but have the same distribution.
 */
import type { DynamicsModel } from '../../models/dynamics-model.js';
import { EnsembleDynamics } from '../../models/ensemble-dynamics.js';
import type { InferenceWeights } from '../../models/inference-weights.js';
import { TaskCost, type CostRows } from '../../tasks/task-cost.js';
import type { SequenceSpace } from '../optimizers/optimizer.js';
import { RolloutEvaluatorBase } from '../rollout-evaluator-base.js';
import type { TrajectoryEvaluatorOptions } from '../trajectory-evaluator.js';
import { HostEnsemble } from './host-ensemble.js';
import { MlpKernel, roundUp } from './mlp-kernel.js';

export class HostTrajectoryEvaluator extends RolloutEvaluatorBase {
  private readonly kernel = new MlpKernel();
  private net: HostEnsemble;
  private readonly maxRows: number;
  /** Floats of candidate sequences the kernel memory holds (maxPopulation x horizon x actionDim). */
  private readonly candidateFloats: number;
  /** Per-row total cost (Float64), and where the task cost finds a particle block's rows. */
  private readonly totals: Float64Array;
  private readonly costRows: CostRows = TaskCost.emptyRows();
  /** The row -> slot permutation of TS1 (a view of the kernel memory). */
  private slots: Int32Array;

  constructor(
    model: EnsembleDynamics,
    private readonly cost: TaskCost,
    space: SequenceSpace,
    options: TrajectoryEvaluatorOptions,
    seed: number,
    maxPopulation: number,
  ) {
    super(model.stateDim, space, options, seed, maxPopulation);
    if (model.actionDim !== space.actionDim)
      throw new RangeError(`the model takes ${model.actionDim} actions, the space has ${space.actionDim}`);
    this.maxRows = options.particles * maxPopulation;
    this.totals = new Float64Array(this.maxRows);
    this.candidateFloats = maxPopulation * space.horizon * space.actionDim;
    this.net = this.layout(model);
    this.slots = this.slotView();
  }

  /** Bytes of kernel memory held (constant while the model layout is). */
  get memoryBytes(): number {
    return this.kernel.byteLength;
  }

  protected get eliteCount(): number {
    return this.net.members;
  }

  /**
   * Swaps in a refitted ensemble between plans: the same layout is re-uploaded in place, a
   * different one (sizes, elites, activation) is laid out afresh in the same memory.
   */
  setModel(model: DynamicsModel): void {
    if (!(model instanceof EnsembleDynamics))
      throw new TypeError('host rollouts need an EnsembleDynamics model (use tensor rollouts for others)');
    if (model.stateDim !== this.start.length || model.actionDim !== this.space.actionDim)
      throw new RangeError('the new model has different state or action dimensions');
    const weights: InferenceWeights = model.inferenceWeights();
    if (HostEnsemble.layoutKey(weights, this.maxRows, this.candidateFloats) === this.net.key) {
      this.net.upload(weights);
    } else {
      this.net = this.layout(model, weights);
      this.slots = this.slotView();
    }
  }

  evaluate(candidates: Float32Array, population: number, costs: Float32Array): void {
    const H = this.space.horizon;
    const R = this.options.particles;
    this.checkPopulation(population);
    if (this.member !== undefined && this.member >= this.net.members)
      throw new RangeError(`member ${this.member} is not an elite index (0..${this.net.members - 1})`);
    const rows = R * population;
    const net = this.net;
    const S = net.stateDim;
    const s4 = net.s4;
    const f = this.kernel.f32;
    const state = net.state >> 2;
    for (let r = 0; r < rows; r++) for (let j = 0; j < S; j++) f[state + r * s4 + j] = this.start[j];
    const sequences = net.scratch >> 2;
    for (let i = 0, n = population * H * this.space.actionDim; i < n; i++) f[sequences + i] = candidates[i];
    this.totals.fill(0, 0, rows);
    const ts1 = this.member === undefined && this.options.propagation === 'ts1';
    for (let t = 0; t < H; t++) {
      if (ts1) {
        for (let r = 0; r < rows; r++) this.slots[r] = r;
        this.rng.shuffle(this.slots, rows);
      }
      this.writeFeatures(population, t, ts1);
      if (this.options.sampleNoise) this.drawNoise(rows * S);
      this.propagate(rows, ts1);
      this.addCosts(candidates, population, t);
    }
    this.modelRowSteps += rows * H;
    this.score(population, costs);
  }

  /** Features of every row (in its TS1 slot if ts1): plain states, sin, cos of angles, action t. */
  private writeFeatures(population: number, t: number, ts1: boolean): void {
    const { horizon: H, actionDim: A } = this.space;
    const net = this.net;
    this.kernel.run.features(
      net.state,
      net.s4,
      this.options.particles * population,
      net.x,
      net.inputDim,
      net.featureLayout,
      net.scratch + 4 * t * A,
      4 * H * A,
      A,
      population,
      ts1 ? net.index : 0,
    );
  }

  /** `count` standard normals into the noise buffer: Rng words, Box-Muller in the kernel. */
  private drawNoise(count: number): void {
    const words = roundUp(count, 8);
    const u = this.kernel.u32;
    const at = this.net.noise >> 2;
    for (let i = 0; i < words; i++) u[at + i] = this.rng.nextUint32();
    this.kernel.run.normals(this.net.noise, words);
  }

  /** One model step for all rows: state <- wrap(state + delta). */
  private propagate(rows: number, ts1: boolean): void {
    const net = this.net;
    const k = this.kernel;
    const S = net.stateDim;
    const s4 = net.s4;
    const sample = this.options.sampleNoise;
    const noise = sample ? net.noise : 0;
    if (this.member === undefined && this.options.propagation === 'expectation') {
      for (let m = 0; m < net.members; m++) {
        net.forward(m, net.x, rows, net.raw);
        k.run.accumulate(
          net.raw,
          4 * net.outWidth,
          rows,
          s4,
          net.boundsOf(m),
          net.sum,
          sample ? net.variance : 0,
          m === 0 ? 1 : 0,
        );
      }
      k.run.finish(net.sum, net.variance, rows, s4, 1 / net.members, noise, S, net.mask);
      k.run.advance(net.state, net.sum, 4 * s4, rows, s4, net.wrap, 0);
      return;
    }
    // One elite for every row (posterior sampling), or contiguous blocks over the elites.
    const blocks = this.member === undefined ? net.members : 1;
    const stride = 4 * net.outWidth;
    for (let b = 0; b < blocks; b++) {
      const start = Math.floor((b * rows) / blocks);
      const n = Math.floor(((b + 1) * rows) / blocks) - start;
      if (n <= 0) continue;
      const member = this.member ?? b;
      const raw = net.raw + start * stride;
      net.forward(member, net.x + 4 * start * net.inputDim, n, raw);
      if (sample) k.run.sample(raw, stride, n, s4, net.boundsOf(member), noise + 4 * start * S, S, net.mask);
    }
    k.run.advance(net.state, net.raw, stride, rows, s4, net.wrap, ts1 ? net.index : 0);
  }

  /** Adds c(s_{t+1}, a_t, a_{t-1}) of every row to its total, one particle block at a time. */
  private addCosts(candidates: Float32Array, population: number, t: number): void {
    const { horizon: H, actionDim: A } = this.space;
    const rows = this.costRows;
    rows.rows = population;
    rows.states = this.kernel.f32;
    rows.stateStride = this.net.s4;
    rows.actions = candidates;
    rows.actionOffset = t * A;
    rows.actionStride = H * A;
    // The previous action: the candidate's own at t - 1, or the one applied before the plan.
    rows.previous = t > 0 ? candidates : this.hasPrevious ? this.previous : null;
    rows.previousOffset = t > 0 ? (t - 1) * A : 0;
    rows.previousStride = t > 0 ? H * A : 0;
    for (let p = 0; p < this.options.particles; p++) {
      rows.stateOffset = (this.net.state >> 2) + p * population * this.net.s4;
      this.cost.addRows(rows, this.totals, p * population);
    }
  }

  /** Per-candidate particle statistics (std two-pass in Float64) and scores. */
  private score(population: number, costs: Float32Array): void {
    const R = this.options.particles;
    const totals = this.totals;
    for (let c = 0; c < population; c++) {
      // A rollout that diverged is the worst possible candidate.
      let sum = 0;
      for (let p = 0; p < R; p++) {
        const v = totals[p * population + c];
        sum += Number.isFinite(v) ? v : Infinity;
      }
      const mu = sum / R;
      let sd = 0;
      if (R > 1) {
        let sq = 0;
        for (let p = 0; p < R; p++) {
          const d = totals[p * population + c] - mu;
          sq += d * d;
        }
        sd = Number.isFinite(mu) ? Math.sqrt(sq / R) : NaN;
      }
      this.record(c, mu, sd, costs);
    }
  }

  private layout(model: EnsembleDynamics, weights = model.inferenceWeights()): HostEnsemble {
    return new HostEnsemble(this.kernel, weights, model.features, this.maxRows, this.candidateFloats);
  }

  private slotView(): Int32Array {
    return new Int32Array(this.kernel.i32.buffer, this.net.index, this.maxRows);
  }
}
