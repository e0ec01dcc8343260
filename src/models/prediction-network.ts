/**
 * Inference copy of an ensemble with the normalisers folded into the weights, so a model
 * step spends no operations on (x - mu) / sigma or on de-normalising the predicted mean:
 *   first layer:  W' = W / sigma_in (per input row),  b' = b - (mu_in / sigma_in) W
 *   last layer (mean columns j): W'_j = W_j sigma_out_j,  b'_j = b_j sigma_out_j + mu_out_j
 * The log-variance columns stay in normalised units; callers add 2 log sigma_out.
 * Fewer, larger tfjs operations matter: on wasm each op costs ~10 us whatever its size.
 */
import * as tf from '@tensorflow/tfjs';
import type { EnsembleNetwork } from './ensemble-network.js';
import { activation } from './activation.js';
import { layerSizes, type EnsembleSpec } from './ensemble-spec.js';
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
    const sizes = layerSizes(spec);
    const S = spec.stateDim;
    this.members = network.memberIds.map((m, local) => {
      const host = network.memberWeights(m, local);
      const layers: Layer[] = [];
      const L = sizes.length - 1;
      for (let l = 0; l < L; l++) {
        const fanIn = sizes[l];
        const fanOut = sizes[l + 1];
        const w = Float32Array.from(host[2 * l].data);
        const b = Float32Array.from(host[2 * l + 1].data);
        if (l === 0) {
          for (let j = 0; j < fanOut; j++) {
            let shift = 0;
            for (let i = 0; i < fanIn; i++) {
              shift += (input.mean[i] / input.std[i]) * w[i * fanOut + j];
            }
            b[j] -= shift;
          }
          for (let i = 0; i < fanIn; i++) for (let j = 0; j < fanOut; j++) w[i * fanOut + j] /= input.std[i];
        }
        if (l === L - 1) {
          for (let j = 0; j < S; j++) {
            for (let i = 0; i < fanIn; i++) w[i * fanOut + j] *= output.std[j];
            b[j] = b[j] * output.std[j] + output.mean[j];
          }
        }
        layers.push({ w: tf.keep(tf.tensor2d(w, [fanIn, fanOut])), b: tf.keep(tf.tensor1d(b)) });
      }
      return {
        layers,
        maxLogVar: tf.keep(tf.tensor1d(host[2 * L].data)),
        minLogVar: tf.keep(tf.tensor1d(host[2 * L + 1].data)),
      };
    });
    this.logStd = tf.keep(tf.tensor1d(Array.from(output.std, (s) => Math.log(s))));
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
