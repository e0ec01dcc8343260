/**
 * What the single-thread rollout evaluators share (TrajectoryEvaluator on tfjs,
 * HostTrajectoryEvaluator on the SIMD kernel): option checks, the start of the plan, the
 * member posterior sampling commits to for a plan, and turning each candidate's particle
 * statistics into its score under the planning objective.
 */
import { Rng } from '../math/rng.js';
import type { DynamicsModel } from '../models/dynamics-model.js';
import type { SequenceSpace } from './optimizers/optimizer.js';
import type {
  BestSeen,
  CandidateStats,
  RolloutObjective,
  TrajectoryEvaluatorOptions,
} from './trajectory-evaluator.js';

export abstract class RolloutEvaluatorBase implements RolloutObjective {
  readonly stats: CandidateStats;
  readonly bestSeen: BestSeen = { cost: Infinity, mean: NaN, std: NaN };
  /** Model steps (rows x horizon steps) simulated since construction. */
  modelRowSteps = 0;
  protected readonly start: Float32Array;
  protected readonly previous: Float32Array;
  protected hasPrevious = false;
  protected member: number | undefined;
  protected readonly rng: Rng;

  constructor(
    stateDim: number,
    readonly space: SequenceSpace,
    readonly options: TrajectoryEvaluatorOptions,
    seed: number,
    maxPopulation: number,
  ) {
    if (!Number.isInteger(options.particles) || options.particles < 1)
      throw new RangeError(`particles must be a positive integer, got ${options.particles}`);
    if (!(options.riskK >= 0)) throw new RangeError(`risk_k must be >= 0, got ${options.riskK}`);
    this.start = new Float32Array(stateDim);
    this.previous = new Float32Array(space.actionDim);
    this.stats = { mean: new Float32Array(maxPopulation), std: new Float32Array(maxPopulation) };
    this.rng = new Rng(seed);
  }

  /** How many elites posterior sampling draws its member from. */
  protected abstract get eliteCount(): number;

  abstract evaluate(candidates: Float32Array, population: number, costs: Float32Array): void;

  /** Swaps in a new model between plans (hot swap after a refit). */
  abstract setModel(model: DynamicsModel): void;

  dispose(): void {}

  /** The start state (and the action applied before it, for action-rate costs) of the next plan. */
  setStart(state: ArrayLike<number>, previousAction: ArrayLike<number> | null, member?: number): void {
    if (state.length !== this.start.length)
      throw new RangeError(`state has ${state.length} entries, the model expects ${this.start.length}`);
    this.start.set(state);
    this.hasPrevious = previousAction !== null;
    if (previousAction) this.previous.set(previousAction);
    // Posterior sampling commits to one member for the whole plan (a caller splitting the
    // work across threads passes the member it drew so every part uses the same one).
    this.member =
      this.options.objective === 'posterior_sampling'
        ? (member ?? this.rng.integer(this.eliteCount))
        : undefined;
    this.bestSeen.cost = Infinity;
    this.bestSeen.mean = NaN;
    this.bestSeen.std = NaN;
  }

  /** The member posterior sampling drew for the current plan (undefined otherwise). */
  get planMember(): number | undefined {
    return this.member;
  }

  /** Throws unless `population` candidates fit the buffers sized at construction. */
  protected checkPopulation(population: number): void {
    if (population > this.stats.mean.length)
      throw new RangeError(
        `asked to score ${population} candidates; this evaluator holds at most ${this.stats.mean.length}`,
      );
  }

  /** Records candidate i's particle mean and std, its score under the objective, and the best. */
  protected record(i: number, mu: number, sd: number, costs: Float32Array): void {
    const k = this.options.riskK;
    const objective = this.options.objective;
    this.stats.mean[i] = mu;
    this.stats.std[i] = sd;
    costs[i] = objective === 'pessimistic' ? mu + k * sd : objective === 'optimistic' ? mu - k * sd : mu;
    if (!Number.isFinite(costs[i])) costs[i] = Infinity;
    if (costs[i] < this.bestSeen.cost) {
      this.bestSeen.cost = costs[i];
      this.bestSeen.mean = this.stats.mean[i];
      this.bestSeen.std = this.stats.std[i];
    }
  }
}
