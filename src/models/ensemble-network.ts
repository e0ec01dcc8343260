/**
 * The members of a probabilistic ensemble (Chua et al. 2018, sec. 4.1): each an MLP from
 * normalised (s, a) features to the mean and log-variance of the normalised state delta.
 * The log-variance is softly bounded by learned limits (PETS appendix A.1):
 *   lv = max_lv - softplus(max_lv - raw);  lv = min_lv + softplus(lv - min_lv).
 * Members are evaluated one 2-D product at a time, which keeps tfjs-wasm on its XNNPACK path.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../math/rng.js';
import { dense } from './dense.js';
import { activation } from './activation.js';
import { layerSizes, type EnsembleSpec } from './ensemble-spec.js';

export interface MemberParams {
  layers: { w: tf.Variable<tf.Rank.R2>; b: tf.Variable<tf.Rank.R1> }[];
  maxLogVar: tf.Variable<tf.Rank.R1>;
  minLogVar: tf.Variable<tf.Rank.R1>;
}

/** Weights of one member on the host, in the order of namedWeights(). */
export interface HostWeights {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface MemberOutput {
  mean: tf.Tensor2D;
  logVar: tf.Tensor2D;
}

/** Initial log-variance limits in normalised units, as in the PETS reference code. */
const INITIAL_MAX_LOGVAR = 0.5;
const INITIAL_MIN_LOGVAR = -10;

export class EnsembleNetwork {
  private constructor(
    readonly spec: EnsembleSpec,
    /** Which ensemble members this network holds (all, or a training worker's share). */
    readonly memberIds: readonly number[],
    readonly params: MemberParams[],
    private readonly trainable: boolean,
  ) {}

  /** Fresh weights: truncated normal with std 1 / (2 sqrt(fan_in)), zero biases. */
  static initialize(
    spec: EnsembleSpec,
    memberIds: readonly number[],
    rng: Rng,
    trainable = true,
  ): EnsembleNetwork {
    const sizes = layerSizes(spec);
    const params = memberIds.map(() => ({
      layers: sizes.slice(0, -1).map((fanIn, l) => {
        const fanOut = sizes[l + 1];
        const std = 1 / (2 * Math.sqrt(fanIn));
        const w = new Float32Array(fanIn * fanOut);
        for (let i = 0; i < w.length; i++) {
          let z = rng.normal();
          while (Math.abs(z) > 2) z = rng.normal();
          w[i] = z * std;
        }
        return {
          w: variableFrom(tf.tensor2d(w, [fanIn, fanOut]), trainable),
          b: variableFrom(tf.zeros([fanOut]), trainable) as tf.Variable<tf.Rank.R1>,
        };
      }),
      maxLogVar: variableFrom(
        tf.fill([spec.stateDim], INITIAL_MAX_LOGVAR),
        trainable,
      ) as tf.Variable<tf.Rank.R1>,
      minLogVar: variableFrom(
        tf.fill([spec.stateDim], INITIAL_MIN_LOGVAR),
        trainable,
      ) as tf.Variable<tf.Rank.R1>,
    }));
    return new EnsembleNetwork(spec, memberIds, params, trainable);
  }

  /** Rebuilds members from host weights named as by namedWeights(). */
  static fromWeights(
    spec: EnsembleSpec,
    memberIds: readonly number[],
    weights: readonly HostWeights[],
    trainable = false,
  ): EnsembleNetwork {
    const byName = new Map(weights.map((w) => [w.name, w]));
    const sizes = layerSizes(spec);
    const take = (name: string, shape: number[]) => {
      const w = byName.get(name);
      if (!w) throw new Error(`missing weight ${name}`);
      if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i]))
        throw new Error(
          `weight ${name} has shape [${w.shape.join(', ')}], the spec needs [${shape.join(', ')}]`,
        );
      return variableFrom(tf.tensor(w.data, shape), trainable);
    };
    const params = memberIds.map((m) => ({
      layers: sizes.slice(0, -1).map((fanIn, l) => ({
        w: take(`member${m}/layer${l}/w`, [fanIn, sizes[l + 1]]) as tf.Variable<tf.Rank.R2>,
        b: take(`member${m}/layer${l}/b`, [sizes[l + 1]]) as tf.Variable<tf.Rank.R1>,
      })),
      maxLogVar: take(`member${m}/max_logvar`, [spec.stateDim]) as tf.Variable<tf.Rank.R1>,
      minLogVar: take(`member${m}/min_logvar`, [spec.stateDim]) as tf.Variable<tf.Rank.R1>,
    }));
    return new EnsembleNetwork(spec, memberIds, params, trainable);
  }

  /** Mean and bounded log-variance of member `local` (index into memberIds) for inputs x. */
  forward(local: number, x: tf.Tensor2D): MemberOutput {
    const p = this.params[local];
    const S = this.spec.stateDim;
    const act = activation(this.spec.activation);
    let h = x;
    const last = p.layers.length - 1;
    for (let l = 0; l <= last; l++) {
      const { w, b } = p.layers[l];
      h = dense(h, w, b);
      if (l < last) h = act(h);
    }
    const mean = tf.slice(h, [0, 0], [-1, S]);
    const raw = tf.slice(h, [0, S], [-1, S]);
    let logVar = tf.sub(p.maxLogVar, tf.softplus(tf.sub(p.maxLogVar, raw)));
    logVar = tf.add(p.minLogVar, tf.softplus(tf.sub(logVar, p.minLogVar)));
    return { mean, logVar: logVar as tf.Tensor2D };
  }

  /** All variables of member `local`, for an optimizer. */
  variables(local: number): tf.Variable[] {
    const p = this.params[local];
    return [...p.layers.flatMap((l) => [l.w, l.b]), p.maxLogVar, p.minLogVar];
  }

  /** Host copies of every weight, named member<m>/layer<l>/{w,b} and member<m>/{max,min}_logvar. */
  namedWeights(): HostWeights[] {
    return this.memberIds.flatMap((m, local) => this.memberWeights(m, local));
  }

  memberWeights(m: number, local: number): HostWeights[] {
    const p = this.params[local];
    const host = (name: string, t: tf.Tensor): HostWeights => ({
      name,
      shape: [...t.shape],
      data: Float32Array.from(t.dataSync() as Float32Array),
    });
    return [
      ...p.layers.flatMap((l, i) => [
        host(`member${m}/layer${i}/w`, l.w),
        host(`member${m}/layer${i}/b`, l.b),
      ]),
      host(`member${m}/max_logvar`, p.maxLogVar),
      host(`member${m}/min_logvar`, p.minLogVar),
    ];
  }

  /** Overwrites member `local`'s variables (e.g. to restore its best epoch). */
  assignMember(local: number, weights: readonly HostWeights[]): void {
    const vars = this.variables(local);
    if (weights.length !== vars.length) throw new Error('weight count mismatch');
    tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(weights[i].data, v.shape))));
  }

  get isTrainable(): boolean {
    return this.trainable;
  }

  dispose(): void {
    for (let local = 0; local < this.params.length; local++)
      for (const v of this.variables(local)) v.dispose();
  }
}

/**
 * A variable holding `initial`'s values. tf.variable shares the initial tensor's data and
 * keeps it registered until that tensor is disposed: without this, every variable leaked one
 * tensor, i.e. a whole model's worth per model loaded (the planner loads one per refit).
 */
function variableFrom<R extends tf.Rank>(initial: tf.Tensor<R>, trainable: boolean): tf.Variable<R> {
  const v = tf.variable(initial, trainable);
  initial.dispose();
  return v;
}
