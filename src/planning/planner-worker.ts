/**
 * Worker-thread side of AsyncPlanner: owns a tfjs instance, the model and an MpcPlanner,
 * and re-plans continuously from the newest state snapshot it has (older snapshots are
 * dropped, warm start refines when no new state came). Each plan is posted with its
 * actions transferred. A failing plan is reported and the loop goes on; a model swap
 * happens between plans.
 */
import { parentPort, workerData } from 'node:worker_threads';
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
  | { type: 'plan'; plan: Plan }
  | { type: 'model'; version: number }
  | { type: 'error'; message: string; during: 'start' | 'plan' | 'model' };

async function loadModel(
  source: ModelSource,
  taskFile: string,
): Promise<{ model: DynamicsModel; version: number }> {
  if (source.kind === 'simulator') {
    const env = await TaskEnvironment.create(loadTask(taskFile));
    return { model: new SimulatorDynamics(env), version: 0 };
  }
  const { dynamics } = await loadEnsemble(source.dir);
  return { model: dynamics, version: source.version };
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('planner-worker must run in a worker thread');
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

  let planner: MpcPlanner;
  let model: DynamicsModel;
  try {
    // Planning yields to the control loop (main thread), like training.
    lowerThreadPriority(10);
    const backend = await initTfBackend({ preference: data.backend, log: () => undefined });
    const { task } = loadTask(data.taskFile);
    const loaded = await loadModel(data.model, data.taskFile);
    model = loaded.model;
    planner = await buildMpcPlanner({
      task,
      profile: data.profile,
      model,
      modelVersion: loaded.version,
      seed: data.seed,
      dt: task.dt,
      backend: data.backend,
    });
    post({ type: 'ready', backend: backend.name });
  } catch (error) {
    post({ type: 'error', message: (error as Error).message, during: 'start' });
    return;
  }

  while (!stopped) {
    if (pendingModel) {
      const source: ModelSource = pendingModel;
      pendingModel = null;
      try {
        const next = await loadModel(source, data.taskFile);
        planner.setModel(next.model, next.version);
        model.dispose();
        model = next.model;
        post({ type: 'model', version: next.version });
      } catch (error) {
        // A model that fails to load never replaces the working one.
        post({ type: 'error', message: (error as Error).message, during: 'model' });
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
    try {
      const plan = planner.plan(current.state, current.stamp, {
        deadline: performance.now() + data.budgetMs,
        previousAction: current.previousAction,
      });
      post({ type: 'plan', plan }, [plan.actions.buffer as ArrayBuffer]);
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

void main();
