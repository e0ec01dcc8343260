/**
 * Worker-thread side of AsyncPlanner: owns a tfjs instance, the model and an MpcPlanner,
 * and re-plans continuously from the newest state snapshot it has (older snapshots are
 * dropped, warm start refines when no new state came). Each plan is posted with its
 * actions transferred. A failing plan is reported and the loop goes on; a model swap
 * happens between plans, and a model that fails to load or does not fit the task is
 * refused (reported with its version) while the working one stays.
 *
 * `planner-worker.ts` runs this loop; fault-injection tests run it from their own worker
 * script with `hooks` (a planner that throws or overruns), so everything else is the real loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { Task } from '../config/task-schema.js';
import { loadTask } from '../config/task-loader.js';
import type { DynamicsModel } from '../models/dynamics-model.js';
import { loadEnsemble } from '../models/ensemble-artifact.js';
import { lowerThreadPriority } from '../system/thread-priority.js';
import { initTfBackend, type BackendPreference } from '../models/tf-backend.js';
import { TaskEnvironment } from '../tasks/task-environment.js';
import { buildMpcPlanner } from './build-mpc-planner.js';
import type { MpcPlanner, Plan } from './mpc-planner.js';
import type { PlannerProfile } from './planner-profile.js';
import { SimulatorDynamics } from './simulator-dynamics.js';

export type ModelSource = { kind: 'artifact'; dir: string; version: number } | { kind: 'simulator' };

export interface PlannerWorkerData {
  taskFile: string;
  profile: PlannerProfile;
  model: ModelSource;
  seed: number;
  /** Per-plan compute budget in ms; the optimizer starts no iteration after it. */
  budgetMs: number;
  backend: BackendPreference;
}

export type ToPlannerWorker =
  | { type: 'state'; state: Float32Array; stamp: number; previousAction: Float32Array | null }
  | { type: 'model'; model: ModelSource }
  | { type: 'reset' }
  | { type: 'stop' };

export type FromPlannerWorker =
  | { type: 'ready'; backend: string }
  /** `wallMs`: the whole planning call as the control loop waited for it (hooks included). */
  /** `numTensors`: this worker's live tfjs tensors (soak tests watch it for leaks). */
  | { type: 'plan'; plan: Plan; wallMs: number; numTensors: number }
  | { type: 'model'; version: number }
  | { type: 'error'; message: string; during: 'start' | 'plan' | 'model'; version?: number };

export interface PlanCallOptions {
  deadline: number;
  previousAction: Float32Array | null;
}

export type PlanCall = (state: Float32Array, stamp: number, options: PlanCallOptions) => Plan;

export interface PlannerWorkerHooks {
  /** Wraps every planning call (fault injection: a planner that throws or overruns its budget). */
  wrapPlan?: (plan: PlanCall) => PlanCall;
}

function modelVersion(source: ModelSource): number {
  return source.kind === 'artifact' ? source.version : 0;
}

async function loadModel(source: ModelSource, task: Task, taskFile: string): Promise<DynamicsModel> {
  if (source.kind === 'simulator') {
    const env = await TaskEnvironment.create(loadTask(taskFile));
    return new SimulatorDynamics(env);
  }
  const { dynamics } = await loadEnsemble(source.dir);
  // An artifact of another task (or another state layout) loads fine but would plan nonsense.
  const want = {
    stateDim: task.state.length,
    actionDim: task.action.length,
    angleIndices: task.state.flatMap((field, i) => (field.wrap ? [i] : [])).join(','),
  };
  const got = {
    stateDim: dynamics.spec.stateDim,
    actionDim: dynamics.spec.actionDim,
    angleIndices: dynamics.spec.angleIndices.join(','),
  };
  const mismatch = (Object.keys(want) as (keyof typeof want)[]).filter((k) => want[k] !== got[k]);
  if (mismatch.length > 0) {
    dynamics.dispose();
    throw new Error(
      `${source.dir}: model does not fit task ${task.name}: ${mismatch.map((k) => `${k} ${got[k] === '' ? 'none' : got[k]} (task: ${want[k] === '' ? 'none' : want[k]})`).join(', ')}`,
    );
  }
  return dynamics;
}

export async function runPlannerWorker(hooks: PlannerWorkerHooks = {}): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('the planner worker must run in a worker thread');
  const data = workerData as PlannerWorkerData;
  const post = (msg: FromPlannerWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);
  let snapshot: Extract<ToPlannerWorker, { type: 'state' }> | null = null;
  let pendingModel: ModelSource | null = null;
  let resetRequested = false;
  let stopped = false;
  let wake: (() => void) | null = null;
  port.on('message', (msg: ToPlannerWorker) => {
    if (msg.type === 'state') snapshot = msg;
    else if (msg.type === 'model') pendingModel = msg.model;
    else if (msg.type === 'reset') resetRequested = true;
    else stopped = true;
    wake?.();
  });

  let task: Task;
  let planner: MpcPlanner;
  let model: DynamicsModel;
  let plan: PlanCall;
  try {
    // Planning yields to the control loop (main thread), like training.
    lowerThreadPriority(10);
    const backend = await initTfBackend({ preference: data.backend, log: () => undefined });
    task = loadTask(data.taskFile).task;
    model = await loadModel(data.model, task, data.taskFile);
    const built = await buildMpcPlanner({
      task,
      profile: data.profile,
      model,
      modelVersion: modelVersion(data.model),
      seed: data.seed,
      dt: task.dt,
      backend: data.backend,
    });
    planner = built;
    const direct: PlanCall = (state, stamp, options) => built.plan(state, stamp, options);
    plan = hooks.wrapPlan ? hooks.wrapPlan(direct) : direct;
    post({ type: 'ready', backend: backend.name });
  } catch (error) {
    post({ type: 'error', message: (error as Error).message, during: 'start' });
    return;
  }

  while (!stopped) {
    if (pendingModel) {
      const source: ModelSource = pendingModel;
      pendingModel = null;
      let next: DynamicsModel | null = null;
      try {
        next = await loadModel(source, task, data.taskFile);
        planner.setModel(next, modelVersion(source));
        model.dispose();
        model = next;
        post({ type: 'model', version: modelVersion(source) });
      } catch (error) {
        // A model that fails to load never replaces the working one.
        if (next && next !== model) next.dispose();
        post({
          type: 'error',
          message: (error as Error).message,
          during: 'model',
          version: modelVersion(source),
        });
      }
    }
    if (resetRequested) {
      resetRequested = false;
      planner.reset();
    }
    const current = snapshot as Extract<ToPlannerWorker, { type: 'state' }> | null;
    if (!current) {
      await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      continue;
    }
    const started = performance.now();
    try {
      const result = plan(current.state, current.stamp, {
        deadline: started + data.budgetMs,
        previousAction: current.previousAction,
      });
      const wallMs = performance.now() - started;
      post({ type: 'plan', plan: result, wallMs, numTensors: tf.memory().numTensors }, [
        result.actions.buffer as ArrayBuffer,
      ]);
    } catch (error) {
      post({ type: 'error', message: (error as Error).message, during: 'plan' });
      snapshot = null; // do not spin on a state that breaks the planner
    }
    // Let queued messages (a newer state, a model swap, stop) in before the next plan.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  planner.dispose();
  model.dispose();
}
