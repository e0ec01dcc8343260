/**
 * A trained probabilistic ensemble as a dynamics model: builds (s, a) features, runs the
 * elite members and turns their delta distributions into next-state distributions. One
 * call handles a whole batch (candidates x particles). The normalisers are folded into an
 * inference copy of the weights (PredictionNetwork) and the per-member work is limited to
 * the matrix products: slicing, log-variance bounding and sampling run once on the
 * concatenated batch, because on tfjs-wasm the number of operations, not their size, bounds
 * small planning budgets.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../math/rng.js';
import type { DynamicsModel, StepOptions } from './dynamics-model.js';
import { EnsembleNetwork, type HostWeights } from './ensemble-network.js';
import type { EnsembleSpec } from './ensemble-spec.js';
import { foldNormalizers, outputLogStd, type InferenceWeights } from './inference-weights.js';
import { Normalizer, type NormalizerJson } from './normalizer.js';
import { boundLogVar, PredictionNetwork } from './prediction-network.js';
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

export interface EnsembleTransfer {
  spec: EnsembleSpec;
  weights: HostWeights[];
  input: NormalizerJson;
  target: NormalizerJson;
  elites: number[];
}

/** Per-row log-variance bounds for a block layout of `rows` rows, kept across calls. */
interface RowBounds {
  max: tf.Tensor2D;
  min: tf.Tensor2D;
}

const MAX_CACHED_LAYOUTS = 16;

export class EnsembleDynamics implements DynamicsModel {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly features: StateFeatures;
  private readonly predictor: PredictionNetwork;
  private readonly eliteLocal: number[];
  private readonly rowBounds = new Map<number, RowBounds>();

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
    this.eliteLocal = elites.map((m) => {
      const local = network.memberIds.indexOf(m);
      if (local < 0) throw new RangeError(`elite ${m} is not a member of the network`);
      return local;
    });
    this.predictor = new PredictionNetwork(spec, network, inputNormalizer, targetNormalizer);
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

  /** Everything needed to rebuild this model in another thread (structured-clone safe). */
  toTransfer(): EnsembleTransfer {
    return {
      spec: { ...this.spec },
      weights: this.namedWeights(),
      input: this.inputNormalizer.toJson(),
      target: this.targetNormalizer.toJson(),
      elites: [...this.elites],
    };
  }

  static fromTransfer(t: EnsembleTransfer): EnsembleDynamics {
    return EnsembleDynamics.fromWeights(
      t.spec,
      t.weights,
      Normalizer.fromJson(t.input),
      Normalizer.fromJson(t.target),
      t.elites,
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

  /**
   * Host copies of the elites' weights with the normalisers folded in, in elite order (elite
   * k serves row block k in TS-inf): what a host (non-tfjs) rollout evaluator runs.
   */
  inferenceWeights(): InferenceWeights {
    const ids = this.network.memberIds;
    return {
      spec: { ...this.spec },
      members: this.eliteLocal.map((local) =>
        foldNormalizers(
          this.spec,
          this.network.memberWeights(ids[local], local),
          this.inputNormalizer,
          this.targetNormalizer,
        ),
      ),
      logStd: outputLogStd(this.targetNormalizer),
    };
  }

  /** Mean and variance (state units) of one member's delta for features x. */
  private member(local: number, x: tf.Tensor2D): { mean: tf.Tensor2D; logVar: tf.Tensor2D } {
    const S = this.stateDim;
    const raw = this.predictor.raw(local, x);
    const { max, min } = this.predictor.bounds(local);
    const lv = boundLogVar(tf.slice(raw, [0, S], [-1, S]), max, min);
    return {
      mean: tf.slice(raw, [0, 0], [-1, S]),
      logVar: tf.add(lv, tf.mul(2, this.predictor.logStd)) as tf.Tensor2D,
    };
  }

  /** Every elite member on every row: delta mean and variance [M, B, S]. */
  predictAll(states: tf.Tensor2D, actions: tf.Tensor2D): DeltaDistribution {
    return tf.tidy(() => {
      const x = this.features.inputsTensor(states, actions);
      const means: tf.Tensor2D[] = [];
      const vars: tf.Tensor2D[] = [];
      for (const local of this.eliteLocal) {
        const { mean, logVar } = this.member(local, x);
        means.push(mean);
        vars.push(tf.exp(logVar) as tf.Tensor2D);
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
      const { mean, logVar } = this.blocks(this.features.inputsTensor(states, actions));
      return { mean, variance: tf.exp(logVar) };
    });
  }

  /** Block-wise mean [B, S] and log-variance [B, S] (state units); call inside tidy. */
  private blocks(x: tf.Tensor2D): { mean: tf.Tensor2D; logVar: tf.Tensor2D } {
    const S = this.stateDim;
    const rows = x.shape[0];
    const k = this.eliteLocal.length;
    const outs: tf.Tensor2D[] = [];
    for (let b = 0; b < k; b++) {
      const start = Math.floor((b * rows) / k);
      const end = Math.floor(((b + 1) * rows) / k);
      if (end <= start) continue;
      const block = k === 1 ? x : tf.slice(x, [start, 0], [end - start, -1]);
      outs.push(this.predictor.raw(this.eliteLocal[b], block));
    }
    const raw = outs.length === 1 ? outs[0] : tf.concat(outs, 0);
    const bounds = this.boundsFor(rows);
    const lv = boundLogVar(tf.slice(raw, [0, S], [-1, S]), bounds.max, bounds.min);
    return {
      mean: tf.slice(raw, [0, 0], [-1, S]),
      logVar: tf.add(lv, tf.mul(2, this.predictor.logStd)) as tf.Tensor2D,
    };
  }

  /** Per-row bounds matching the block layout of `rows` rows, built once per size. */
  private boundsFor(rows: number): RowBounds {
    const cached = this.rowBounds.get(rows);
    if (cached) return cached;
    const k = this.eliteLocal.length;
    const build = (pick: 'max' | 'min') =>
      tf.tidy(() => {
        const parts: tf.Tensor2D[] = [];
        for (let b = 0; b < k; b++) {
          const n = Math.floor(((b + 1) * rows) / k) - Math.floor((b * rows) / k);
          if (n > 0)
            parts.push(tf.tile(tf.reshape(this.predictor.bounds(this.eliteLocal[b])[pick], [1, -1]), [n, 1]));
        }
        return tf.concat(parts, 0) as tf.Tensor2D;
      });
    const entry = { max: tf.keep(build('max')), min: tf.keep(build('min')) };
    if (this.rowBounds.size >= MAX_CACHED_LAYOUTS) {
      const [oldest, old] = this.rowBounds.entries().next().value as [number, RowBounds];
      tf.dispose([old.max, old.min]);
      this.rowBounds.delete(oldest);
    }
    this.rowBounds.set(rows, entry);
    return entry;
  }

  step(states: tf.Tensor2D, actions: tf.Tensor2D, options: StepOptions): tf.Tensor2D {
    return tf.tidy(() => {
      const rng = new Rng(options.seed);
      const noise = (mean: tf.Tensor2D, logVar: tf.Tensor2D) =>
        options.sample
          ? (tf.add(
              mean,
              tf.mul(
                tf.exp(tf.mul(0.5, logVar)),
                tf.randomNormal(mean.shape, 0, 1, 'float32', rng.nextUint32()),
              ),
            ) as tf.Tensor2D)
          : mean;
      let delta: tf.Tensor2D;
      if (options.member !== undefined) {
        const local = this.eliteLocal[options.member];
        if (local === undefined)
          throw new RangeError(
            `member ${options.member} is not an elite index (0..${this.eliteLocal.length - 1})`,
          );
        const { mean, logVar } = this.member(local, this.features.inputsTensor(states, actions));
        delta = noise(mean, logVar);
      } else if (options.propagation === 'expectation') {
        const all = this.predictAll(states, actions);
        delta = tf.mean(all.mean, 0) as tf.Tensor2D;
        if (options.sample) delta = noise(delta, tf.log(tf.mean(all.variance, 0)) as tf.Tensor2D);
      } else if (options.propagation === 'tsinf') {
        const { mean, logVar } = this.blocks(this.features.inputsTensor(states, actions));
        delta = noise(mean, logVar);
      } else {
        // TS1: a fresh random member per particle and step: permute rows, predict in blocks, undo.
        const rows = states.shape[0];
        const perm = rng.permutation(rows);
        const inv = new Int32Array(rows);
        for (let i = 0; i < rows; i++) inv[perm[i]] = i;
        const p = tf.tensor1d(perm, 'int32');
        const x = tf.gather(this.features.inputsTensor(states, actions), p);
        const { mean, logVar } = this.blocks(x);
        delta = tf.gather(noise(mean, logVar), tf.tensor1d(inv, 'int32'));
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
    for (const b of this.rowBounds.values()) tf.dispose([b.max, b.min]);
    this.rowBounds.clear();
    this.predictor.dispose();
    this.features.dispose();
    this.network.dispose();
  }
}
