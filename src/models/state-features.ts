/**
 * The model's view of states (Chua et al. 2018 feed angles as sin/cos so the network never
 * sees the 2*pi wrap): input features from (s, a), training targets s' - s with angle
 * differences wrapped, and next states s + delta with angles re-wrapped. Host (Float32)
 * versions serve training; tensor versions serve batched prediction.
 */
import * as tf from '@tensorflow/tfjs';
import { wrapAngle } from '../math/angles.js';
import { inputDim, type EnsembleSpec } from './ensemble-spec.js';

export class StateFeatures {
  readonly inputDim: number;
  private readonly isAngle: boolean[];
  /** Input order: these state entries as they are, then sin and cos of the angle entries, then actions. */
  readonly plainIdx: number[];
  readonly angleIdx: number[];
  private wrapScale: tf.Tensor1D | null = null;

  constructor(private readonly spec: EnsembleSpec) {
    this.inputDim = inputDim(spec);
    this.isAngle = Array.from({ length: spec.stateDim }, (_, i) => spec.angleIndices.includes(i));
    this.plainIdx = this.isAngle.flatMap((a, i) => (a ? [] : [i]));
    this.angleIdx = [...spec.angleIndices];
  }

  /** rows x inputDim features from rows x stateDim states and rows x actionDim actions. */
  inputs(states: Float32Array, actions: Float32Array): Float32Array {
    const { stateDim: S, actionDim: A } = this.spec;
    const rows = states.length / S;
    const out = new Float32Array(rows * this.inputDim);
    for (let r = 0; r < rows; r++) {
      let k = r * this.inputDim;
      for (const i of this.plainIdx) out[k++] = states[r * S + i];
      for (const i of this.angleIdx) out[k++] = Math.sin(states[r * S + i]);
      for (const i of this.angleIdx) out[k++] = Math.cos(states[r * S + i]);
      for (let j = 0; j < A; j++) out[k++] = actions[r * A + j];
    }
    return out;
  }

  /** s' - s, with angle differences wrapped to [-pi, pi). */
  targets(states: Float32Array, next: Float32Array): Float32Array {
    const S = this.spec.stateDim;
    const out = new Float32Array(states.length);
    for (let k = 0; k < states.length; k++) {
      const d = next[k] - states[k];
      out[k] = this.isAngle[k % S] ? wrapAngle(d) : d;
    }
    return out;
  }

  /** Tensor version of inputs(): [B, S] x [B, A] -> [B, inputDim]. */
  inputsTensor(states: tf.Tensor2D, actions: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const parts: tf.Tensor2D[] = [];
      if (this.plainIdx.length > 0) parts.push(tf.gather(states, this.plainIdx, 1));
      if (this.angleIdx.length > 0) {
        const angles = tf.gather(states, this.angleIdx, 1);
        parts.push(tf.sin(angles), tf.cos(angles));
      }
      parts.push(actions);
      return tf.concat(parts, 1);
    });
  }

  /**
   * s + delta with angle entries wrapped to [-pi, pi): next - 2 pi m floor((next + pi) / 2 pi)
   * with m = 1 on angle entries, 0 elsewhere (a kept constant, so no per-call upload).
   */
  nextStateTensor(states: tf.Tensor2D, delta: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const next = tf.add(states, delta) as tf.Tensor2D;
      if (this.angleIdx.length === 0) return next;
      this.wrapScale ??= tf.keep(tf.tensor1d(this.isAngle.map((a) => (a ? 2 * Math.PI : 0))));
      const turns = tf.floor(tf.mul(tf.add(next, Math.PI), 1 / (2 * Math.PI)));
      return tf.sub(next, tf.mul(turns, this.wrapScale)) as tf.Tensor2D;
    });
  }

  /** Frees the kept constants. */
  dispose(): void {
    this.wrapScale?.dispose();
    this.wrapScale = null;
  }
}
