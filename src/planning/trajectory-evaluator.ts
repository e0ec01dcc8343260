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
import type { DynamicsModel, Propagation } from '../models/dynamics-model.js';
import type { SequenceObjective, SequenceSpace } from './optimizers/optimizer.js';
import { RolloutEvaluatorBase } from './rollout-evaluator-base.js';
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

export class TrajectoryEvaluator extends RolloutEvaluatorBase {
  constructor(
    private model: DynamicsModel,
    private readonly cost: TensorCostFunction,
    space: SequenceSpace,
    options: TrajectoryEvaluatorOptions,
    seed: number,
    maxPopulation: number,
  ) {
    super(model.stateDim, space, options, seed, maxPopulation);
  }

  protected get eliteCount(): number {
    return this.model.eliteCount;
  }

  /** Swaps in a new model between plans (hot swap after a refit). */
  setModel(model: DynamicsModel): void {
    if (model.stateDim !== this.model.stateDim || model.actionDim !== this.model.actionDim)
      throw new RangeError('the new model has different state or action dimensions');
    this.model = model;
  }

  evaluate(candidates: Float32Array, population: number, costs: Float32Array): void {
    const { horizon: H, actionDim: A } = this.space;
    const R = this.options.particles;
    const S = this.start.length;
    this.checkPopulation(population);
    const rows = R * population;
    const seed = this.rng.nextUint32();
    const [mean, std] = tf.tidy(() => {
      // Candidates repeated once per particle block up front: one op, not one per step.
      const seqs = tf.tile(tf.tensor3d(candidates.subarray(0, population * H * A), [population, H, A]), [
        R,
        1,
        1,
      ]);
      let s = tf.tile(tf.tensor2d(this.start, [1, S]), [rows, 1]) as tf.Tensor2D;
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
    for (let i = 0; i < population; i++) this.record(i, meanHost[i], stdHost[i], costs);
  }
}
