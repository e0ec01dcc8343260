/**
 * One-step prediction error of a dynamics ensemble on logged transitions: the elites' mean
 * predicted delta against the observed delta (angles wrapped), squared and divided per state
 * entry by the variance of the observed deltas, then averaged. 0 is perfect; 1 is no better
 * than predicting the mean delta. Comparable across models and datasets of one task, which
 * is what refit acceptance and the learning report need.
 */
import * as tf from '@tensorflow/tfjs';
import type { EnsembleDynamics } from './ensemble-dynamics.js';
import type { TransitionBatch } from './transition-batch.js';

export interface PredictionError {
  /** Mean over state entries of MSE / Var(observed delta). */
  normalizedMse: number;
  /** Per state entry, in state units squared. */
  mse: Float64Array;
  rows: number;
}

const CHUNK = 4096;

export function predictionError(dynamics: EnsembleDynamics, data: TransitionBatch): PredictionError {
  const S = data.stateDim;
  const A = data.actionDim;
  const targets = dynamics.features.targets(data.states, data.nextStates);
  const sq = new Float64Array(S);
  for (let start = 0; start < data.count; start += CHUNK) {
    const n = Math.min(CHUNK, data.count - start);
    const predicted = tf.tidy(() => {
      const states = tf.tensor2d(data.states.subarray(start * S, (start + n) * S), [n, S]);
      const actions = tf.tensor2d(data.actions.subarray(start * A, (start + n) * A), [n, A]);
      const { mean } = dynamics.predictAll(states, actions);
      return tf.mean(mean, 0);
    });
    const host = predicted.dataSync();
    predicted.dispose();
    for (let r = 0; r < n; r++)
      for (let i = 0; i < S; i++) {
        const d = host[r * S + i] - targets[(start + r) * S + i];
        sq[i] += d * d;
      }
  }
  const mse = Float64Array.from(sq, (v) => v / data.count);
  let normalized = 0;
  for (let i = 0; i < S; i++) {
    let mean = 0;
    for (let r = 0; r < data.count; r++) mean += targets[r * S + i];
    mean /= data.count;
    let variance = 0;
    for (let r = 0; r < data.count; r++) variance += (targets[r * S + i] - mean) ** 2;
    variance /= data.count;
    // A state entry that never changed carries no information about the model; skip it.
    normalized += variance > 1e-12 ? mse[i] / variance : 0;
  }
  return { normalizedMse: normalized / S, mse, rows: data.count };
}
