/**
 * Scores action sequences by rolling them through a learned model (PETS trajectory
 * sampling, Chua et al. 2018 sec. 5): every candidate is simulated as `particles`
 * independent particles, the task cost is summed over the horizon, and the per-candidate
 * score is a statistic of the particles' returns chosen for decision-making under
 * uncertainty. Rows are laid out particle-major (row = particle * P + candidate) so that,
 * when the model assigns contiguous row blocks to ensemble members (TS-inf), each
 * candidate's particles are spread over the members and keep their member all the way.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../math/rng.js';
import type { DynamicsModel, Propagation } from '../models/dynamics-model.js';
import type { SequenceObjective, SequenceSpace } from './optimizers/optimizer.js';
import type { TensorCostFunction } from './tensor-task-cost.js';

/**
 * 'expected' = mean cost over particles (PETS); 'pessimistic' = mean + k std (risk-averse);
 * 'optimistic' = mean - k std; 'posterior_sampling' = all particles through one member
 * drawn per plan (Thompson sampling over the ensemble).
 */
export type PlanningObjective = 'expected' | 'pessimistic' | 'optimistic' | 'posterior_sampling';
export const PLANNING_OBJECTIVES: readonly PlanningObjective[] = [
  'expected',
  'pessimistic',
  'optimistic',
  'posterior_sampling',
];

export interface TrajectoryEvaluatorOptions {
  particles: number;
  propagation: Propagation;
  objective: PlanningObjective;
  /** k in mean +- k std for the risk-sensitive objectives. */
  riskK: number;
  /** Sample the model's aleatoric noise along rollouts (PETS does). */
  sampleNoise: boolean;
}

export interface CandidateStats {
  /** Mean total cost over particles, per candidate. */
  mean: Float32Array;
  /** Standard deviation of the total cost over particles, per candidate. */
  std: Float32Array;
}

/** The lowest-scoring candidate since setStart(), with its particle statistics. */
export interface BestSeen {
  cost: number;
  mean: number;
  std: number;
}

/** What a planner needs from the objective it optimises: scores plus particle statistics. */
export interface RolloutObjective extends SequenceObjective {
  readonly stats: CandidateStats;
  readonly bestSeen: BestSeen;
  readonly modelRowSteps: number;
  setStart(state: ArrayLike<number>, previousAction: ArrayLike<number> | null): void;
  setModel(model: DynamicsModel): void;
  dispose(): void;
}

export class TrajectoryEvaluator implements RolloutObjective {
  readonly stats: CandidateStats;
  readonly bestSeen: BestSeen = { cost: Infinity, mean: NaN, std: NaN };
  private readonly state: Float32Array;
  private readonly previous: Float32Array;
  private hasPrevious = false;
  private readonly rng: Rng;
  private member: number | undefined;
  /** Model steps (rows x horizon steps) simulated since construction. */
  modelRowSteps = 0;

  constructor(
    private model: DynamicsModel,
    private readonly cost: TensorCostFunction,
    readonly space: SequenceSpace,
    readonly options: TrajectoryEvaluatorOptions,
    seed: number,
    maxPopulation: number,
  ) {
    if (!Number.isInteger(options.particles) || options.particles < 1)
      throw new RangeError(`particles must be a positive integer, got ${options.particles}`);
    if (!(options.riskK >= 0)) throw new RangeError(`risk_k must be >= 0, got ${options.riskK}`);
    this.state = new Float32Array(model.stateDim);
    this.previous = new Float32Array(space.actionDim);
    this.stats = { mean: new Float32Array(maxPopulation), std: new Float32Array(maxPopulation) };
    this.rng = new Rng(seed);
  }

  /** The start state (and the action applied before it, for action-rate costs) of the next plan. */
  setStart(state: ArrayLike<number>, previousAction: ArrayLike<number> | null, member?: number): void {
    if (state.length !== this.state.length)
      throw new RangeError(`state has ${state.length} entries, the model expects ${this.state.length}`);
    this.state.set(state);
    this.hasPrevious = previousAction !== null;
    if (previousAction) this.previous.set(previousAction);
    // Posterior sampling commits to one member for the whole plan (a caller splitting the
    // work across threads passes the member it drew so every part uses the same one).
    this.member =
      this.options.objective === 'posterior_sampling'
        ? (member ?? this.rng.integer(this.model.eliteCount))
        : undefined;
  }

  /** The member posterior sampling drew for the current plan (undefined otherwise). */
  get planMember(): number | undefined {
    return this.member;
  }

  dispose(): void {}

  /** Swaps in a new model between plans (hot swap after a refit). */
  setModel(model: DynamicsModel): void {
    if (model.stateDim !== this.model.stateDim || model.actionDim !== this.model.actionDim)
      throw new RangeError('the new model has different state or action dimensions');
    this.model = model;
  }

  evaluate(candidates: Float32Array, population: number, costs: Float32Array): void {
    const { horizon: H, actionDim: A } = this.space;
    const R = this.options.particles;
    const S = this.state.length;
    if (population > this.stats.mean.length)
      throw new RangeError(
        `asked to score ${population} candidates; this evaluator holds at most ${this.stats.mean.length}`,
      );
    const rows = R * population;
    const seed = this.rng.nextUint32();
    const [mean, std] = tf.tidy(() => {
      // Candidates repeated once per particle block up front: one op, not one per step.
      const seqs = tf.tile(tf.tensor3d(candidates.subarray(0, population * H * A), [population, H, A]), [
        R,
        1,
        1,
      ]);
      let s = tf.tile(tf.tensor2d(this.state, [1, S]), [rows, 1]) as tf.Tensor2D;
      let prev: tf.Tensor2D | null = this.hasPrevious
        ? (tf.tile(tf.tensor2d(this.previous, [1, A]), [rows, 1]) as tf.Tensor2D)
        : null;
      let total: tf.Tensor1D = tf.zeros([rows]);
      for (let t = 0; t < H; t++) {
        // Candidate actions at step t, repeated for each particle block.
        const a = tf.tile(tf.reshape(tf.slice(seqs, [0, t, 0], [population, 1, A]), [population, A]), [
          R,
          1,
        ]) as tf.Tensor2D;
        const next = this.model.step(s, a, {
          propagation: this.options.propagation,
          sample: this.options.sampleNoise,
          seed: seed + t,
          member: this.member,
        });
        total = tf.add(total, this.cost(next, a, prev)) as tf.Tensor1D;
        s = next;
        prev = a;
      }
      // A rollout that diverged is the worst possible candidate.
      const finite = tf.where(tf.isFinite(total), total, tf.fill([rows], Infinity)) as tf.Tensor1D;
      const perParticle = tf.reshape(finite, [R, population]);
      const m = tf.mean(perParticle, 0);
      const sd =
        R > 1 ? tf.sqrt(tf.relu(tf.sub(tf.mean(tf.square(perParticle), 0), tf.square(m)))) : tf.zerosLike(m);
      return [m, sd];
    });
    const meanHost = mean.dataSync();
    const stdHost = std.dataSync();
    tf.dispose([mean, std]);
    this.modelRowSteps += rows * H;
    const k = this.options.riskK;
    for (let i = 0; i < population; i++) {
      const mu = meanHost[i];
      const sd = stdHost[i];
      this.stats.mean[i] = mu;
      this.stats.std[i] = sd;
      costs[i] =
        this.options.objective === 'pessimistic'
          ? mu + k * sd
          : this.options.objective === 'optimistic'
            ? mu - k * sd
            : mu;
      if (!Number.isFinite(costs[i])) costs[i] = Infinity;
      if (costs[i] < this.bestSeen.cost) {
        this.bestSeen.cost = costs[i];
        this.bestSeen.mean = mu;
        this.bestSeen.std = sd;
      }
    }
  }
}
