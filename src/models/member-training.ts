/**
 * Trains some members of an ensemble on normalised data, in the calling thread (a worker
 * runs this for its share of the members). Per member, as in PETS (Chua et al. 2018, sec. 4.1):
 * a bootstrap resample of the training rows, minibatch Adam on the Gaussian negative
 * log-likelihood
 *   L = mean[(mu - y)^2 exp(-lv) + lv] + 0.01 (sum max_lv - sum min_lv) + wd sum ||W||^2,
 * and early stopping on the holdout MSE with the weights of the best epoch restored.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../math/rng.js';
import type { EnsembleSpec } from './ensemble-spec.js';
import { EnsembleNetwork, type HostWeights } from './ensemble-network.js';

export interface TrainingHyperparameters {
  epochs: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  /** Stop a member after this many epochs without relative holdout improvement. */
  patience: number;
  /** Relative holdout-MSE improvement that counts as progress. */
  improvementThreshold: number;
  /** Resample the training rows with replacement per member (the "bootstrap" in PETS). */
  bootstrap: boolean;
}

export interface MemberTrainingJob {
  spec: EnsembleSpec;
  memberIds: number[];
  seed: number;
  /** rows x inputDim, normalised. */
  inputs: Float32Array;
  /** rows x stateDim normalised deltas. */
  targets: Float32Array;
  trainIndices: Int32Array;
  valIndices: Int32Array;
  hyper: TrainingHyperparameters;
  /** Warm start (a refit continues from the serving model). */
  initialWeights?: HostWeights[];
}

export interface EpochProgress {
  member: number;
  epoch: number;
  trainLoss: number;
  valMse: number;
  valNll: number;
  /** True when early stopping ended this member's training at this epoch. */
  stopped: boolean;
}

export interface TrainedMember {
  member: number;
  bestEpoch: number;
  epochsRun: number;
  valMse: number;
  valNll: number;
  weights: HostWeights[];
}

export interface MemberTrainingResult {
  members: TrainedMember[];
  cancelled: boolean;
}

export interface MemberTrainingHooks {
  shouldStop?: () => boolean;
  onEpoch?: (progress: EpochProgress) => void;
}

const LOGVAR_BOUND_PENALTY = 0.01;
const EVAL_CHUNK = 4096;

export function trainMembers(job: MemberTrainingJob, hooks: MemberTrainingHooks = {}): MemberTrainingResult {
  const { spec, hyper, memberIds } = job;
  const S = spec.stateDim;
  const inDim = job.inputs.length / (job.targets.length / S);
  const rows = job.targets.length / S;
  const rng = new Rng(job.seed);
  const net = job.initialWeights
    ? EnsembleNetwork.fromWeights(spec, memberIds, job.initialWeights, true)
    : EnsembleNetwork.initialize(spec, memberIds, rng, true);
  const x = tf.tensor2d(job.inputs, [rows, inDim]);
  const y = tf.tensor2d(job.targets, [rows, S]);
  const valIdx = tf.tensor1d(job.valIndices, 'int32');
  const optimizers = memberIds.map(() => tf.train.adam(hyper.learningRate));
  const state = memberIds.map((m, local) => ({
    member: m,
    local,
    rng: new Rng(job.seed * 7919 + m + 1),
    active: true,
    best: Number.POSITIVE_INFINITY,
    bestNll: Number.POSITIVE_INFINITY,
    bestEpoch: -1,
    sinceBest: 0,
    epochsRun: 0,
    bestWeights: null as HostWeights[] | null,
  }));
  const nTrain = job.trainIndices.length;
  const batch = Math.min(hyper.batchSize, nTrain);
  const order = new Int32Array(nTrain);
  const batchIdx = new Int32Array(batch);
  let cancelled = false;
  try {
    for (let epoch = 0; epoch < hyper.epochs && state.some((s) => s.active); epoch++) {
      for (const s of state) {
        if (!s.active) continue;
        // Bootstrap: each member sees its own resample of the training rows, every epoch reshuffled.
        for (let i = 0; i < nTrain; i++)
          order[i] = hyper.bootstrap ? job.trainIndices[s.rng.integer(nTrain)] : job.trainIndices[i];
        if (!hyper.bootstrap) s.rng.shuffle(order);
        let lossSum = 0;
        let batches = 0;
        for (let start = 0; start + batch <= nTrain; start += batch) {
          if (hooks.shouldStop?.()) {
            cancelled = true;
            break;
          }
          batchIdx.set(order.subarray(start, start + batch));
          const loss = optimizers[s.local].minimize(
            () => memberLoss(net, s.local, x, y, batchIdx, hyper.weightDecay),
            true,
            net.variables(s.local),
          );
          lossSum += loss ? loss.dataSync()[0] : Number.NaN;
          loss?.dispose();
          batches++;
        }
        if (cancelled) break;
        const { mse, nll } = evaluate(net, s.local, x, y, valIdx, EVAL_CHUNK);
        s.epochsRun = epoch + 1;
        if (!Number.isFinite(mse)) {
          // Diverged: keep the best weights so far and stop this member.
          s.active = false;
        } else if (s.bestWeights === null || (s.best - mse) / Math.abs(s.best) > hyper.improvementThreshold) {
          s.best = mse;
          s.bestNll = nll;
          s.bestEpoch = epoch;
          s.sinceBest = 0;
          s.bestWeights = net.memberWeights(s.member, s.local);
        } else if (++s.sinceBest >= hyper.patience) {
          s.active = false;
        }
        hooks.onEpoch?.({
          member: s.member,
          epoch,
          trainLoss: lossSum / Math.max(1, batches),
          valMse: mse,
          valNll: nll,
          stopped: !s.active,
        });
      }
      if (cancelled) break;
    }
    return {
      cancelled,
      members: state.map((s) => ({
        member: s.member,
        bestEpoch: s.bestEpoch,
        epochsRun: s.epochsRun,
        valMse: s.best,
        valNll: s.bestNll,
        weights: s.bestWeights ?? net.memberWeights(s.member, s.local),
      })),
    };
  } finally {
    for (const o of optimizers) o.dispose();
    tf.dispose([x, y, valIdx]);
    net.dispose();
  }
}

function memberLoss(
  net: EnsembleNetwork,
  local: number,
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  batchIdx: Int32Array,
  weightDecay: number,
): tf.Scalar {
  const idx = tf.tensor1d(batchIdx, 'int32');
  const xb = tf.gather(x, idx);
  const yb = tf.gather(y, idx);
  const { mean, logVar } = net.forward(local, xb);
  const nll = tf.mean(tf.add(tf.mul(tf.square(tf.sub(mean, yb)), tf.exp(tf.neg(logVar))), logVar));
  const p = net.params[local];
  const bounds = tf.mul(LOGVAR_BOUND_PENALTY, tf.sub(tf.sum(p.maxLogVar), tf.sum(p.minLogVar)));
  let loss = tf.add(nll, bounds);
  if (weightDecay > 0) {
    const l2 = tf.addN(p.layers.map((l) => tf.sum(tf.square(l.w))));
    loss = tf.add(loss, tf.mul(weightDecay, l2));
  }
  return loss as tf.Scalar;
}

/** Holdout MSE of the mean and Gaussian NLL (per dimension, nats, with the log 2 pi term). */
export function evaluate(
  net: EnsembleNetwork,
  local: number,
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  idx: tf.Tensor1D,
  chunk: number,
): { mse: number; nll: number } {
  const n = idx.shape[0];
  if (n === 0) return { mse: Number.NaN, nll: Number.NaN };
  let se = 0;
  let nllSum = 0;
  for (let start = 0; start < n; start += chunk) {
    const size = Math.min(chunk, n - start);
    const [seChunk, nllChunk] = tf.tidy(() => {
      const ids = tf.slice(idx, [start], [size]);
      const xb = tf.gather(x, ids);
      const yb = tf.gather(y, ids);
      const { mean, logVar } = net.forward(local, xb);
      const sq = tf.square(tf.sub(mean, yb));
      const nll = tf.mul(
        0.5,
        tf.add(tf.add(tf.mul(sq, tf.exp(tf.neg(logVar))), logVar), Math.log(2 * Math.PI)),
      );
      return [tf.sum(sq), tf.sum(nll)];
    });
    se += seChunk.dataSync()[0];
    nllSum += nllChunk.dataSync()[0];
    tf.dispose([seChunk, nllChunk]);
  }
  const count = n * y.shape[1];
  return { mse: se / count, nll: nllSum / count };
}
