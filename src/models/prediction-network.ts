/**
 * Inference copy of an ensemble as tfjs tensors, with the normalisers folded into the
 * weights (see inference-weights.ts), so a model step spends no operations on
 * (x - mu) / sigma or on de-normalising the predicted mean; callers add 2 log sigma_out to
 * the log-variance. Fewer, larger tfjs operations matter: on wasm each op costs ~10 us
 * whatever its size.
 */
import * as tf from '@tensorflow/tfjs';
import type { EnsembleNetwork } from './ensemble-network.js';
import { activation } from './activation.js';
import type { EnsembleSpec } from './ensemble-spec.js';
import { foldNormalizers, outputLogStd } from './inference-weights.js';
import type { Normalizer } from './normalizer.js';

interface Layer {
  w: tf.Tensor2D;
  b: tf.Tensor1D;
}

export class PredictionNetwork {
  private readonly members: { layers: Layer[]; maxLogVar: tf.Tensor1D; minLogVar: tf.Tensor1D }[];
  /** log sigma_out per state entry: log-variance in state units = lv + 2 logStd. */
  readonly logStd: tf.Tensor1D;
  private readonly act: (h: tf.Tensor2D) => tf.Tensor2D;

  constructor(
    private readonly spec: EnsembleSpec,
    network: EnsembleNetwork,
    input: Normalizer,
    output: Normalizer,
  ) {
    this.members = network.memberIds.map((m, local) => {
      const folded = foldNormalizers(spec, network.memberWeights(m, local), input, output);
      return {
        layers: folded.layers.map((l) => ({
          w: tf.keep(tf.tensor2d(l.w, [l.fanIn, l.fanOut])),
          b: tf.keep(tf.tensor1d(l.b)),
        })),
        maxLogVar: tf.keep(tf.tensor1d(folded.maxLogVar)),
        minLogVar: tf.keep(tf.tensor1d(folded.minLogVar)),
      };
    });
    this.logStd = tf.keep(tf.tensor1d(outputLogStd(output)));
    this.act = activation(spec.activation);
  }

  /** [rows, 2S]: de-normalised delta mean, then raw (unbounded, normalised) log-variance. */
  raw(local: number, x: tf.Tensor2D): tf.Tensor2D {
    const { layers } = this.members[local];
    let h = x;
    for (let l = 0; l < layers.length; l++) {
      const last = l === layers.length - 1;
      if (!last && this.spec.activation === 'relu') {
        h = tf.fused.matMul({ a: h, b: layers[l].w, bias: layers[l].b, activation: 'relu' }) as tf.Tensor2D;
      } else {
        h = tf.fused.matMul({ a: h, b: layers[l].w, bias: layers[l].b }) as tf.Tensor2D;
        if (!last) h = this.act(h);
      }
    }
    return h;
  }

  bounds(local: number): { max: tf.Tensor1D; min: tf.Tensor1D } {
    return { max: this.members[local].maxLogVar, min: this.members[local].minLogVar };
  }

  dispose(): void {
    for (const m of this.members)
      tf.dispose([...m.layers.flatMap((l) => [l.w, l.b]), m.maxLogVar, m.minLogVar]);
    this.logStd.dispose();
  }
}

/** The soft log-variance bounds of PETS (appendix A.1); max and min broadcast over rows. */
export function boundLogVar(raw: tf.Tensor, max: tf.Tensor, min: tf.Tensor): tf.Tensor {
  const upper = tf.sub(max, tf.softplus(tf.sub(max, raw)));
  return tf.add(min, tf.softplus(tf.sub(upper, min)));
}
