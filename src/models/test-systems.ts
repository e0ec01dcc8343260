/** Small known systems that generate transitions for model tests and benchmarks. */
import { Rng } from '../math/rng.js';
import type { EnsembleSpec } from './ensemble-spec.js';
import type { TrainingHyperparameters } from './member-training.js';
import type { TransitionBatch } from './transition-batch.js';

/**
 * s' = s + dt (A s + B a) + noise, with noise std `noiseStd(s)` per entry: a 2-d damped
 * oscillator driven by one input. States are drawn uniformly from [-range, range]^2.
 */
export function linearSystemTransitions(options: {
  count: number;
  seed: number;
  range?: number;
  noiseStd?: (s0: number) => number;
}): TransitionBatch {
  const { count } = options;
  const range = options.range ?? 1;
  const rng = new Rng(options.seed);
  const dt = 0.1;
  const states = new Float32Array(count * 2);
  const actions = new Float32Array(count);
  const nextStates = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    const x = rng.uniformIn(-range, range);
    const v = rng.uniformIn(-range, range);
    const a = rng.uniformIn(-1, 1);
    const std = options.noiseStd ? options.noiseStd(x) : 0;
    states[2 * i] = x;
    states[2 * i + 1] = v;
    actions[i] = a;
    nextStates[2 * i] = x + dt * v + std * rng.normal();
    nextStates[2 * i + 1] = v + dt * (-x - 0.2 * v + a) + std * rng.normal();
  }
  return { count, stateDim: 2, actionDim: 1, states, actions, nextStates };
}

/** A small ensemble for the 2-state, 1-action linear system above (tests). */
export function linearSystemSpec(over: Partial<EnsembleSpec> = {}): EnsembleSpec {
  return {
    members: 2,
    stateDim: 2,
    actionDim: 1,
    angleIndices: [],
    hiddenLayers: 2,
    hiddenUnits: 32,
    activation: 'swish',
    ...over,
  };
}

/** Training hyperparameters that fit the linear system in a few seconds (tests). */
export function testHyperparameters(over: Partial<TrainingHyperparameters> = {}): TrainingHyperparameters {
  return {
    epochs: 40,
    batchSize: 128,
    learningRate: 3e-3,
    weightDecay: 1e-5,
    patience: 40,
    improvementThreshold: 0.01,
    bootstrap: true,
    ...over,
  };
}
