/**
 * Host (Float32) inference weights of ensemble members with the normalisers folded in, so a
 * forward pass needs no (x - mu) / sigma on the inputs and no de-normalisation of the mean:
 *   first layer:  W' = W / sigma_in (per input row),  b' = b - (mu_in / sigma_in) W
 *   last layer (mean columns j): W'_j = W_j sigma_out_j,  b'_j = b_j sigma_out_j + mu_out_j
 * The log-variance columns stay in normalised units; log-variance in state units is the
 * bounded value plus 2 log sigma_out. Shared by the tfjs PredictionNetwork and host evaluators.
 */
import type { HostWeights } from './ensemble-network.js';
import { layerSizes, type EnsembleSpec } from './ensemble-spec.js';
import type { Normalizer } from './normalizer.js';

/** y = x w + b with w row-major [fanIn, fanOut]. */
export interface InferenceLayer {
  w: Float32Array;
  b: Float32Array;
  fanIn: number;
  fanOut: number;
}

export interface InferenceMember {
  /** Hidden layers (activation after each) then the output layer [mean S | raw log-variance S]. */
  layers: InferenceLayer[];
  /** Soft log-variance bounds (PETS appendix A.1), normalised units. */
  maxLogVar: Float32Array;
  minLogVar: Float32Array;
}

export interface InferenceWeights {
  spec: EnsembleSpec;
  /** One entry per member the model predicts with (its elites, in elite order). */
  members: InferenceMember[];
  /** log sigma_out per state entry. */
  logStd: Float32Array;
}

/** Folds the normalisers into one member's weights (named as by EnsembleNetwork.memberWeights). */
export function foldNormalizers(
  spec: EnsembleSpec,
  host: readonly HostWeights[],
  input: Normalizer,
  output: Normalizer,
): InferenceMember {
  const sizes = layerSizes(spec);
  const S = spec.stateDim;
  const L = sizes.length - 1;
  const layers: InferenceLayer[] = [];
  for (let l = 0; l < L; l++) {
    const fanIn = sizes[l];
    const fanOut = sizes[l + 1];
    const w = Float32Array.from(host[2 * l].data);
    const b = Float32Array.from(host[2 * l + 1].data);
    if (l === 0) {
      for (let j = 0; j < fanOut; j++) {
        let shift = 0;
        for (let i = 0; i < fanIn; i++) shift += (input.mean[i] / input.std[i]) * w[i * fanOut + j];
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
    layers.push({ w, b, fanIn, fanOut });
  }
  return {
    layers,
    maxLogVar: Float32Array.from(host[2 * L].data),
    minLogVar: Float32Array.from(host[2 * L + 1].data),
  };
}

/** log sigma_out per state entry (log-variance in state units = normalised + 2 logStd). */
export function outputLogStd(output: Normalizer): Float32Array {
  return Float32Array.from(output.std, (s) => Math.log(s));
}
