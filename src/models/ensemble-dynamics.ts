/**
 * A trained probabilistic ensemble as a dynamics model: normalises (s, a) features, runs
 * the elite members and turns their normalised delta distributions back into next-state
 * distributions. One call handles a whole batch (candidates x particles) as a few large
 * per-member products, which is what makes sampling-based MPC affordable.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../math/rng.js';
import type { DynamicsModel, StepOptions } from './dynamics-model.js';
import { EnsembleNetwork, type HostWeights } from './ensemble-network.js';
import type { EnsembleSpec } from './ensemble-spec.js';
import type { Normalizer } from './normalizer.js';
import { StateFeatures } from './state-features.js';

export interface DeltaDistribution {
  /** Per member [M, B, S] (predictAll) or per row [B, S] (predictBlocks). */
  mean: tf.Tensor;
  variance: tf.Tensor;
}

export interface Uncertainty {
  /** Mean over members of the predicted variance: noise the model believes is in the data. */
  aleatoric: tf.Tensor2D;
  /** Variance over members of the predicted mean: disagreement, large away from the data. */
  epistemic: tf.Tensor2D;
}

export class EnsembleDynamics implements DynamicsModel {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly features: StateFeatures;
  private readonly inMean: tf.Tensor1D;
  private readonly inStd: tf.Tensor1D;
  private readonly outMean: tf.Tensor1D;
  private readonly outStd: tf.Tensor1D;
  private readonly outVar: tf.Tensor1D;
  private readonly eliteLocal: number[];

  constructor(
    readonly spec: EnsembleSpec,
    private readonly network: EnsembleNetwork,
    readonly inputNormalizer: Normalizer,
    readonly targetNormalizer: Normalizer,
    /** Member ids used for prediction (PETS uses the best members on holdout). */
    readonly elites: readonly number[],
  ) {
    if (elites.length === 0) throw new RangeError('an ensemble needs at least one elite member');
    this.stateDim = spec.stateDim;
    this.actionDim = spec.actionDim;
    this.features = new StateFeatures(spec);
    this.inMean = tf.tensor1d(inputNormalizer.mean);
    this.inStd = tf.tensor1d(inputNormalizer.std);
    this.outMean = tf.tensor1d(targetNormalizer.mean);
    this.outStd = tf.tensor1d(targetNormalizer.std);
    this.outVar = tf.tidy(() => tf.square(this.outStd));
    this.eliteLocal = elites.map((m) => {
      const local = network.memberIds.indexOf(m);
      if (local < 0) throw new RangeError(`elite ${m} is not a member of the network`);
      return local;
    });
  }

  static fromWeights(
    spec: EnsembleSpec,
    weights: readonly HostWeights[],
    inputNormalizer: Normalizer,
    targetNormalizer: Normalizer,
    elites: readonly number[],
  ): EnsembleDynamics {
    const ids = Array.from({ length: spec.members }, (_, m) => m);
    return new EnsembleDynamics(
      spec,
      EnsembleNetwork.fromWeights(spec, ids, weights),
      inputNormalizer,
      targetNormalizer,
      elites,
    );
  }

  get eliteCount(): number {
    return this.eliteLocal.length;
  }

  get memberCount(): number {
    return this.network.memberIds.length;
  }

  /** Host copies of all weights, for saving. */
  namedWeights(): HostWeights[] {
    return this.network.namedWeights();
  }

  /** Normalised network input for (s, a). */
  private input(states: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
    return tf.div(
      tf.sub(this.features.inputsTensor(states, actions), this.inMean),
      this.inStd,
    ) as tf.Tensor2D;
  }

  /** Every elite member on every row: delta mean and variance [M, B, S]. */
  predictAll(states: tf.Tensor2D, actions: tf.Tensor2D): DeltaDistribution {
    return tf.tidy(() => {
      const x = this.input(states, actions);
      const means: tf.Tensor2D[] = [];
      const vars: tf.Tensor2D[] = [];
      for (const local of this.eliteLocal) {
        const { mean, logVar } = this.network.forward(local, x);
        means.push(tf.add(tf.mul(mean, this.outStd), this.outMean) as tf.Tensor2D);
        vars.push(tf.mul(tf.exp(logVar), this.outVar) as tf.Tensor2D);
      }
      return { mean: tf.stack(means), variance: tf.stack(vars) };
    });
  }

  /**
   * Rows split into as many contiguous blocks as there are elites; block k goes through
   * elite k. With rows laid out as particles of fixed member, this is TS-inf.
   */
  predictBlocks(states: tf.Tensor2D, actions: tf.Tensor2D): DeltaDistribution {
    return tf.tidy(() => {
      const x = this.input(states, actions);
      const rows = x.shape[0];
      const k = this.eliteLocal.length;
      const means: tf.Tensor2D[] = [];
      const vars: tf.Tensor2D[] = [];
      for (let b = 0; b < k; b++) {
        const start = Math.floor((b * rows) / k);
        const end = Math.floor(((b + 1) * rows) / k);
        if (end <= start) continue;
        const { mean, logVar } = this.network.forward(
          this.eliteLocal[b],
          tf.slice(x, [start, 0], [end - start, -1]),
        );
        means.push(tf.add(tf.mul(mean, this.outStd), this.outMean) as tf.Tensor2D);
        vars.push(tf.mul(tf.exp(logVar), this.outVar) as tf.Tensor2D);
      }
      return { mean: tf.concat(means, 0), variance: tf.concat(vars, 0) };
    });
  }

  step(states: tf.Tensor2D, actions: tf.Tensor2D, options: StepOptions): tf.Tensor2D {
    return tf.tidy(() => {
      const rng = new Rng(options.seed);
      let delta: tf.Tensor2D;
      if (options.member !== undefined) {
        const local = this.eliteLocal[options.member];
        if (local === undefined)
          throw new RangeError(
            `member ${options.member} is not an elite index (0..${this.eliteLocal.length - 1})`,
          );
        const { mean, logVar } = this.network.forward(local, this.input(states, actions));
        delta = tf.add(tf.mul(mean, this.outStd), this.outMean) as tf.Tensor2D;
        if (options.sample) {
          const std = tf.mul(tf.exp(tf.mul(0.5, logVar)), this.outStd);
          delta = tf.add(
            delta,
            tf.mul(std, tf.randomNormal(delta.shape, 0, 1, 'float32', rng.nextUint32())),
          ) as tf.Tensor2D;
        }
      } else if (options.propagation === 'expectation') {
        const all = this.predictAll(states, actions);
        delta = tf.mean(all.mean, 0) as tf.Tensor2D;
        if (options.sample) {
          const variance = tf.mean(all.variance, 0);
          delta = tf.add(
            delta,
            tf.mul(tf.sqrt(variance), tf.randomNormal(delta.shape, 0, 1, 'float32', rng.nextUint32())),
          ) as tf.Tensor2D;
        }
      } else {
        let s = states;
        let a = actions;
        let inverse: tf.Tensor1D | null = null;
        if (options.propagation === 'ts1') {
          // A fresh random member per particle and step: permute rows, predict in blocks, undo.
          const rows = states.shape[0];
          const perm = rng.permutation(rows);
          const inv = new Int32Array(rows);
          for (let i = 0; i < rows; i++) inv[perm[i]] = i;
          const p = tf.tensor1d(perm, 'int32');
          s = tf.gather(states, p);
          a = tf.gather(actions, p);
          inverse = tf.tensor1d(inv, 'int32');
        }
        const blocks = this.predictBlocks(s, a);
        let d = blocks.mean as tf.Tensor2D;
        if (options.sample)
          d = tf.add(
            d,
            tf.mul(tf.sqrt(blocks.variance), tf.randomNormal(d.shape, 0, 1, 'float32', rng.nextUint32())),
          ) as tf.Tensor2D;
        delta = inverse ? tf.gather(d, inverse) : d;
      }
      return this.features.nextStateTensor(states, delta);
    });
  }

  /** Aleatoric and epistemic variance of the next-state delta, per row and state entry. */
  uncertainty(states: tf.Tensor2D, actions: tf.Tensor2D): Uncertainty {
    return tf.tidy(() => {
      const { mean, variance } = this.predictAll(states, actions);
      const { variance: disagreement } = tf.moments(mean, 0);
      return { aleatoric: tf.mean(variance, 0) as tf.Tensor2D, epistemic: disagreement as tf.Tensor2D };
    });
  }

  dispose(): void {
    tf.dispose([this.inMean, this.inStd, this.outMean, this.outStd, this.outVar]);
    this.network.dispose();
  }
}
