/**
 * Helper thread of ParallelTrajectoryEvaluator: holds its own copy of the ensemble and the
 * task cost, sleeps on a shared control word, and when woken scores its slice of the
 * population (all particles, so its candidates' statistics are complete) straight into
 * shared memory. A model swap arrives as a message read synchronously on a 'reload' job.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { EnsembleDynamics, type EnsembleTransfer } from '../models/ensemble-dynamics.js';
import { lowerThreadPriority } from '../system/thread-priority.js';
import { initTfBackend } from '../models/tf-backend.js';
import { createRolloutEvaluator, type RolloutEvaluator } from './rollout-evaluator.js';
import { CTRL, JOB, slice, type RolloutWorkerData } from './rollout-protocol.js';

async function main(): Promise<void> {
  const data = workerData as RolloutWorkerData;
  const port = parentPort;
  if (!port) throw new Error('rollout-worker must run in a worker thread');
  const ctrl = new Int32Array(data.shared.control);
  const { horizon: H, actionDim: A } = data.space;
  const candidates = new Float32Array(data.shared.candidates);
  const state = new Float32Array(data.shared.state);
  const previous = new Float32Array(data.shared.previous);
  const costs = new Float32Array(data.shared.costs);
  const meanOut = new Float32Array(data.shared.mean);
  const stdOut = new Float32Array(data.shared.std);
  const errorText = new Uint8Array(data.shared.error);
  const fail = (message: string) => {
    const bytes = new TextEncoder().encode(message.slice(0, errorText.length - 1));
    errorText.fill(0);
    errorText.set(bytes);
    Atomics.store(ctrl, CTRL.failed, 1);
  };
  let model: EnsembleDynamics;
  let part: RolloutEvaluator;
  try {
    // Rollout helpers are planning: background work below the control loop.
    lowerThreadPriority(10);
    await initTfBackend({ preference: data.backend, log: () => undefined });
    model = EnsembleDynamics.fromTransfer(data.model);
    part = createRolloutEvaluator(
      data.rollouts,
      model,
      data.task,
      data.space,
      data.options,
      data.seed + 7919 * (data.index + 1),
      data.maxPopulation,
    );
  } catch (error) {
    fail(`rollout worker ${data.index} failed to start: ${(error as Error).message}`);
    Atomics.add(ctrl, CTRL.ready, 1);
    Atomics.notify(ctrl, CTRL.ready);
    return;
  }
  Atomics.add(ctrl, CTRL.ready, 1);
  Atomics.notify(ctrl, CTRL.ready);
  const evaluator = part.evaluator;
  let seen = Atomics.load(ctrl, CTRL.generation);
  const local = new Float32Array(data.maxPopulation);
  for (;;) {
    Atomics.wait(ctrl, CTRL.generation, seen);
    seen = Atomics.load(ctrl, CTRL.generation);
    const job = Atomics.load(ctrl, CTRL.job);
    if (job === JOB.stop) break;
    try {
      if (job === JOB.reload) {
        const msg = receiveMessageOnPort(port as unknown as MessagePort);
        if (!msg) throw new Error('reload without a model message');
        const next = EnsembleDynamics.fromTransfer(msg.message as EnsembleTransfer);
        evaluator.setModel(next);
        model.dispose();
        model = next;
      } else {
        const population = Atomics.load(ctrl, CTRL.population);
        const [start, end] = slice(population, data.index, data.parts);
        const n = end - start;
        if (n > 0) {
          const member = Atomics.load(ctrl, CTRL.member);
          evaluator.setStart(
            state,
            Atomics.load(ctrl, CTRL.hasPrevious) ? previous : null,
            member >= 0 ? member : undefined,
          );
          evaluator.evaluate(candidates.subarray(start * H * A, end * H * A), n, local);
          costs.set(local.subarray(0, n), start);
          meanOut.set(evaluator.stats.mean.subarray(0, n), start);
          stdOut.set(evaluator.stats.std.subarray(0, n), start);
        }
      }
    } catch (error) {
      fail(`rollout worker ${data.index}: ${(error as Error).message}`);
    }
    Atomics.add(ctrl, CTRL.done, 1);
    Atomics.notify(ctrl, CTRL.done);
  }
  part.dispose();
  model.dispose();
}

void main();
