/**
 * Control-loop timing under load: the cart-pole simulator in real time, the controller at
 * 50 Hz on the wall clock acting on an asynchronous planner (worker thread, `realtime`
 * profile, learned ensemble), the data logger writing MCAP and a refit every few seconds
 * (training in worker threads, model swapped in between ticks). Reports the achieved rate,
 * start jitter p50/p99/max and deadline misses over the whole run: the control timer's
 * thread does no planning or training, so neither should move it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTask } from '../src/config/task-loader.js';
import { TransitionLogWriter } from '../src/datalog/transition-log-writer.js';
import { Rng } from '../src/math/rng.js';
import { saveEnsemble } from '../src/models/ensemble-artifact.js';
import { ensembleSpecForTask } from '../src/models/ensemble-spec-for-task.js';
import { trainEnsemble } from '../src/models/ensemble-trainer.js';
import { initTfBackend } from '../src/models/tf-backend.js';
import type { TransitionBatch } from '../src/models/transition-batch.js';
import { ModelSchema } from '../src/config/robot-schema.js';
import { ControllerNode } from '../src/nodes/controller/controller-node.js';
import { ModelSubscriber } from '../src/nodes/controller/model-subscriber.js';
import { DataLoggerNode } from '../src/nodes/data-logger/data-logger-node.js';
import { MujocoSimNode } from '../src/nodes/mujoco-sim-node.js';
import { TrainerNode } from '../src/nodes/trainer/trainer-node.js';
import { AsyncPlanner } from '../src/planning/async-planner.js';
import { loadPlannerProfile } from '../src/planning/planner-profile.js';
import { AsyncMpcPolicy } from '../src/policies/async-mpc-policy.js';
import { InProcessBus } from '../src/runtime/in-process-bus.js';
import { TaskEnvironment } from '../src/tasks/task-environment.js';
import type { BenchRow } from './bench-report.js';

const RATE_HZ = 50;
const REFIT_EVERY_S = 10;

/** Random-action transitions from the simulator, to train the first model. */
async function randomTransitions(
  env: TaskEnvironment,
  count: number,
  seed: number,
): Promise<TransitionBatch> {
  const rng = new Rng(seed);
  const S = env.stateDim;
  const A = env.actionDim;
  const batch: TransitionBatch = {
    count,
    stateDim: S,
    actionDim: A,
    states: new Float32Array(count * S),
    actions: new Float32Array(count * A),
    nextStates: new Float32Array(count * S),
  };
  const action = new Float64Array(A);
  let state = env.reset(rng);
  for (let i = 0; i < count; i++) {
    if (i % 200 === 0) state = env.reset(rng);
    for (let j = 0; j < A; j++) action[j] = rng.uniformIn(env.actionLow[j], env.actionHigh[j]);
    batch.states.set(state, i * S);
    batch.actions.set(action, i * A);
    state = Float64Array.from(env.step(action).state);
    batch.nextStates.set(state, i * S);
  }
  return batch;
}

export async function controlBenchmark(seconds: number): Promise<BenchRow[]> {
  await initTfBackend({ log: () => undefined });
  const loaded = loadTask('cartpole-swingup');
  const { task } = loaded;
  const profile = loadPlannerProfile(task.name, 'realtime');
  const env = await TaskEnvironment.create(loaded);
  const dir = mkdtempSync(join(tmpdir(), 'control-bench-'));
  const modelsDir = join(dir, 'models');
  const model = ModelSchema.parse({
    members: profile.ensemble.members,
    elites: profile.ensemble.members,
    hidden_layers: profile.ensemble.hidden_layers,
    hidden_units: profile.ensemble.hidden_units,
  });
  const spec = ensembleSpecForTask(task, model);
  const hyper = {
    epochs: 10,
    batchSize: 32,
    learningRate: 1e-3,
    weightDecay: 1e-5,
    patience: 5,
    improvementThreshold: 0.01,
    bootstrap: true,
  };
  const first = await trainEnsemble(await randomTransitions(env, 400, 1), {
    spec,
    hyper,
    holdoutRatio: 0.1,
    elites: spec.members,
    seed: 1,
  }).result;
  await saveEnsemble(join(modelsDir, 'v0001'), first.dynamics, { version: 1, report: first.report });
  first.dynamics.dispose();

  const bus = new InProcessBus();
  const planner = new AsyncPlanner({
    taskFile: loaded.file,
    profile,
    model: { kind: 'artifact', dir: join(modelsDir, 'v0001'), version: 1 },
    seed: 2,
    budgetMs: 1000 / RATE_HZ,
    backend: 'auto',
  });
  await planner.ready;
  const writer = await TransitionLogWriter.open({
    dir: join(dir, 'logs'),
    task: {
      name: task.name,
      stateNames: task.state.map((s) => s.name),
      actionNames: task.action.map((a) => a.name),
    },
    flushIntervalS: 1,
    rotateBytes: 64 * 1024 * 1024,
  });
  const sim = new MujocoSimNode(bus.createNode('mujoco_sim'), {
    env,
    mode: 'realtime',
    seed: 3,
    sensorRateHz: 2 * RATE_HZ,
    commandTimeoutSeconds: 0.2,
  });
  const policy = new AsyncMpcPolicy({ actionDim: task.action.length });
  policy.attach(planner);
  const controller = new ControllerNode(bus.createNode('controller'), {
    task,
    policies: { mpc: policy },
    rateHz: RATE_HZ,
    staleTimeoutSeconds: 0.1,
    safeAction: 'zero',
    timingWindow: Math.ceil(seconds * RATE_HZ) + 10,
  });
  const logger = new DataLoggerNode(bus.createNode('data_logger'), {
    task,
    sink: writer,
    refitEverySeconds: REFIT_EVERY_S,
  });
  const trainer = new TrainerNode(bus.createNode('trainer'), {
    spec,
    hyper,
    elites: spec.members,
    holdoutRatio: 0.1,
    seed: 4,
    modelsDir,
    initial: { version: 1, dir: join(modelsDir, 'v0001') },
    warmStart: true,
    // A regular refit must not be rejected for noise here: the point is the load it puts on the machine.
    tolerance: 1,
    minTransitions: 50,
    data: { kind: 'log', dir: join(dir, 'logs'), beforeLoad: () => writer.flush() },
  });
  const swaps = { count: 0 };
  new ModelSubscriber(bus.createNode('model_subscriber'), {
    install: async ({ dir: artifact, version }) => {
      planner.setModel({ kind: 'artifact', dir: artifact, version });
      swaps.count++;
    },
  });
  sim.reset();
  controller.resetEpisode();
  sim.start();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  sim.stop();
  controller.destroy();
  logger.destroy();
  const timing = controller.timingSummary();
  await trainer.close();
  await planner.stop();
  await writer.close();
  await bus.shutdown();
  env.dispose();
  rmSync(dir, { recursive: true, force: true });
  return [
    {
      rate_target_hz: RATE_HZ,
      seconds,
      ticks: timing.ticks,
      rate_hz: timing.rateHz,
      jitter_p50_ms: timing.jitterP50Ms,
      jitter_p99_ms: timing.jitterP99Ms,
      jitter_max_ms: timing.jitterMaxMs,
      tick_work_p99_ms: timing.workP99Ms,
      deadline_misses: timing.deadlineMisses,
      safe_ticks: controller.stats.safeTicks,
      plans: planner.plans,
      transitions_logged: logger.stats.transitions,
      refits: trainer.stats.refits,
      models_swapped_in: swaps.count,
    },
  ];
}
