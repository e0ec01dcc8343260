/**
 * LQR-FLM on a task of the embedded simulator (Levine & Abbeel 2014, sec. 3; the GPS
 * "trajectory optimisation only" loop): fixed initial conditions drawn once from the task's
 * initial-state distribution; each iteration runs `samples` episodes per condition with the
 * current linear-Gaussian controllers (through LinearGaussianPolicy, source 'lqr'), logs every
 * transition to DIR/logs (MCAP), and hands the samples to LqrFlm.iterate for the next
 * controllers. One JSON object per iteration goes to DIR/metrics.jsonl; DIR/controllers.json
 * holds the final controllers and DIR/report.html charts the run.
 *
 * The loop drives TaskEnvironment directly (reset to the condition, step for dt); running the
 * same policy through the ControllerNode / sim-node lockstep loop is the CLI's integration.
 *
 * Defaults (DEFAULTS), chosen on reacher-2link (ctrl 1 = 0.1 N m; one step of u = 0.1 on the
 * elbow changes its velocity by ~0.45 rad/s at dt = 0.05 s):
 *  - initial controller: PD holding each condition's initial pose (GPS `init_pd`), action i
 *    driving the i-th position and i-th velocity field of the state; kp = 0.5, kd = 0.05 keep
 *    the zero-order-hold loop at 20 Hz well damped (kd * 4.5 rad/s per unit per step ~ 0.2,
 *    far inside the discrete stability limit of 2);
 *  - initVariance = 0.01 (std 0.1, i.e. 0.01 N m): +-0.45 rad/s of exploration per step is
 *    enough spread for the per-step regression, while std ~0.3 already saturates the +-1
 *    actuator limits, whose clamping the linear model cannot represent;
 *  - klStep = 1 nat per step (epsilon = 50 nats per episode before the step multiplier,
 *    Levine & Abbeel 2014 sec. 3.2 / the GPS convention of a per-step KL step): the step rule
 *    grows the multiplier to its cap of 10 within three iterations while the local models
 *    predict well, and the fingertip is within 1 mm of the target after ~6 iterations of
 *    5 samples for seeds 1-3. klStep = 0.2 (GPS's default) also converges, more slowly.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTask } from '../config/task-loader.js';
import type { Task } from '../config/task-schema.js';
import { TransitionLogWriter } from '../datalog/transition-log-writer.js';
import { FiniteDifferenceCost } from '../lqr/finite-difference-cost.js';
import { initialPd } from '../lqr/initial-controller.js';
import type { LinearGaussianController } from '../lqr/linear-gaussian-controller.js';
import { LqrFlm, type LqrFlmOptions } from '../lqr/lqr-flm.js';
import type { Trajectory } from '../lqr/trajectory.js';
import { Rng } from '../math/rng.js';
import { LinearGaussianPolicy } from '../policies/linear-gaussian-policy.js';
import { writeLqrFlmReport } from '../reports/lqr-flm-report.js';
import { TaskEnvironment } from '../tasks/task-environment.js';

export interface InitialPdConfig {
  kp: number | readonly number[];
  kd: number | readonly number[];
  /** Target positions, one per action; default: each condition's initial positions. */
  targetPose?: readonly number[];
}

export interface LqrFlmExperimentOptions {
  /** Task name (hardware/tasks) or path to a task YAML file; default 'reacher-2link'. */
  task?: string;
  iterations: number;
  /** Episodes per condition and iteration. */
  samples: number;
  /** Initial conditions; default 1. */
  conditions?: number;
  seed: number;
  outDir: string;
  /** KL step per time step (nats); default DEFAULTS.klStep. */
  klStep?: number;
  /** Initial exploration variance (action units squared); default DEFAULTS.initVariance. */
  initVariance?: number;
  /** Initial PD controller; default DEFAULTS.initialPd. */
  initialPd?: InitialPdConfig;
  /** Further LqrFlm settings (step-size rule, prior, eta search). */
  lqrFlm?: Pick<LqrFlmOptions, 'stepSize' | 'prior' | 'dynamicsRegularization' | 'eta'>;
  /** Log transitions to DIR/logs as MCAP; default true. */
  log?: boolean;
  /** Write DIR/report.html (cost, final distance and KL per iteration) at the end; default true. */
  report?: boolean;
  /** Called after each iteration with its metrics and the number of iterations done. */
  onIteration?: (metrics: LqrFlmIterationMetrics, done: number) => void;
}

export interface LqrFlmIterationMetrics {
  /** 0 = samples of the initial controllers. */
  iteration: number;
  task: string;
  seed: number;
  /** Mean total cost of this iteration's samples. */
  cost: number;
  /** The update computed from these samples: KL(new || current), its target, dual variable, step multiplier. */
  kl: number;
  kl_target: number;
  eta: number;
  step_mult: number;
  /** Mean over samples of the distance (m) from the task's target point to its goal at the last step; null without a distance term. */
  final_distance: number | null;
  /** The same per condition. */
  final_distance_per_condition: (number | null)[];
  cost_per_condition: number[];
  eta_at_bound: ('lower' | 'upper' | null)[];
  samples: number;
  wall_s: number;
}

/** Chosen on reacher-2link; documented in docs/ARCHITECTURE.md. */
export const DEFAULTS = {
  klStep: 1,
  initVariance: 0.01,
  initialPd: { kp: 0.5, kd: 0.05 } as InitialPdConfig,
};

export async function runLqrFlmExperiment(
  options: LqrFlmExperimentOptions,
): Promise<LqrFlmIterationMetrics[]> {
  const positiveInt = (v: number, name: string) => {
    if (!(Number.isInteger(v) && v >= 1))
      throw new RangeError(`${name} must be a positive integer, got ${v}`);
  };
  positiveInt(options.iterations, 'iterations');
  positiveInt(options.samples, 'samples');
  const conditionCount = options.conditions ?? 1;
  positiveInt(conditionCount, 'conditions');
  if (!Number.isInteger(options.seed)) throw new RangeError(`seed must be an integer, got ${options.seed}`);
  const loaded = loadTask(options.task ?? 'reacher-2link');
  const { task } = loaded;
  mkdirSync(options.outDir, { recursive: true });
  const metricsPath = join(options.outDir, 'metrics.jsonl');
  writeFileSync(metricsPath, '');

  const env = await TaskEnvironment.create(loaded);
  let writer: TransitionLogWriter | null = null;
  try {
    const T = env.episodeSteps;
    const S = env.stateDim;
    const A = env.actionDim;
    const seeds = new Rng(options.seed);
    const conditionRng = seeds.fork();
    const conditions = Array.from({ length: conditionCount }, () => env.reset(conditionRng));
    const klStep = options.klStep ?? DEFAULTS.klStep;
    const initVariance = options.initVariance ?? DEFAULTS.initVariance;
    const pd = options.initialPd ?? DEFAULTS.initialPd;
    const initial = conditions.map((x0) => initialPdForTask(task, x0, pd, T, initVariance));
    const goal = distanceGoal(task);
    writeFileSync(
      join(options.outDir, 'run.json'),
      JSON.stringify(
        {
          task: task.name,
          task_file: loaded.file,
          controller: 'lqr-flm',
          iterations: options.iterations,
          samples: options.samples,
          conditions: conditions.map((c) => Array.from(c)),
          seed: options.seed,
          kl_step: klStep,
          init_variance: initVariance,
          initial_pd: pd,
          started: new Date().toISOString(),
        },
        null,
        2,
      ) + '\n',
    );
    const flm = new LqrFlm({
      stateDim: S,
      actionDim: A,
      horizon: T,
      conditions: conditionCount,
      initialController: initial,
      klStep,
      samplesPerCondition: options.samples,
      seed: seeds.nextUint32(),
      cost: () =>
        new FiniteDifferenceCost({
          stateDim: S,
          actionDim: A,
          cost: (x, u, p) => env.cost.evaluate(x, u, p),
        }),
      ...options.lqrFlm,
    });
    if (options.log ?? true)
      writer = await TransitionLogWriter.open({
        dir: join(options.outDir, 'logs'),
        task: { name: task.name, stateNames: env.stateNames, actionNames: env.actionNames },
        flushIntervalS: 1,
        rotateBytes: 256 * 1024 * 1024,
      });
    const policy = new LinearGaussianPolicy({ dt: env.dt, seed: seeds.nextUint32() });
    const results: LqrFlmIterationMetrics[] = [];
    let episode = 0;
    let controllers: LinearGaussianController[] = flm.controllers;
    for (let iteration = 0; iteration < options.iterations; iteration++) {
      const started = performance.now();
      const samples: Trajectory[][] = [];
      const finalDistances: (number | null)[] = [];
      conditions.forEach((x0, m) => {
        policy.setController(controllers[m], iteration);
        const list: Trajectory[] = [];
        let distanceSum = 0;
        for (let s = 0; s < options.samples; s++) {
          const trajectory = runEpisode(env, policy, x0, (t, state, action, next, cost) =>
            writer?.append({
              stamp: (episode * T + t) * env.dt,
              episode,
              step: t,
              state,
              action,
              nextState: next,
              reward: -cost,
              done: t === T - 1,
              source: 'lqr',
              modelVersion: iteration,
            }),
          );
          episode++;
          list.push(trajectory);
          if (goal) {
            const p = env.cost.point(goal.point, trajectory.states[T]);
            distanceSum += Math.hypot(p[0] - goal.target[0], p[1] - goal.target[1]);
          }
        }
        samples.push(list);
        finalDistances.push(goal ? distanceSum / options.samples : null);
      });
      const report = flm.iterate(samples);
      controllers = report.controllers;
      const known = finalDistances.filter((d): d is number => d !== null);
      const metrics: LqrFlmIterationMetrics = {
        iteration: report.iteration,
        task: task.name,
        seed: options.seed,
        cost: report.cost,
        kl: report.kl,
        kl_target: report.kl_target,
        eta: report.eta,
        step_mult: report.step_mult,
        final_distance: known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : null,
        final_distance_per_condition: finalDistances,
        cost_per_condition: report.conditions.map((c) => c.cost),
        eta_at_bound: report.conditions.map((c) => c.eta_at_bound),
        samples: options.samples * conditionCount,
        wall_s: (performance.now() - started) / 1000,
      };
      appendFileSync(metricsPath, JSON.stringify(metrics) + '\n');
      results.push(metrics);
      options.onIteration?.(metrics, iteration + 1);
    }
    writeFileSync(
      join(options.outDir, 'controllers.json'),
      JSON.stringify(controllers.map((c) => c.toJSON())) + '\n',
    );
    if (options.report ?? true) await writeLqrFlmReport(options.outDir);
    return results;
  } finally {
    await writer?.close();
    env.dispose();
  }
}

/** One episode from x0: states as observed, actions as applied (after clamping), costs as returned. */
function runEpisode(
  env: TaskEnvironment,
  policy: LinearGaussianPolicy,
  x0: Float64Array,
  onStep: (t: number, state: Float64Array, action: Float64Array, next: Float64Array, cost: number) => void,
): Trajectory {
  const T = env.episodeSteps;
  env.setState(x0);
  policy.reset();
  const states = [env.readState(new Float64Array(env.stateDim))];
  const actions: Float64Array[] = [];
  const costs = new Float64Array(T);
  const command = new Float64Array(env.actionDim);
  for (let t = 0; t < T; t++) {
    policy.act(states[t], t * env.dt, command);
    const result = env.step(command);
    const action = Float64Array.from(result.action);
    const next = Float64Array.from(result.state);
    costs[t] = result.cost;
    onStep(t, states[t], action, next, result.cost);
    actions.push(action);
    states.push(next);
  }
  return { states, actions, costs };
}

/** PD on the task: action i drives the i-th position field with the i-th velocity field. */
function initialPdForTask(
  task: Task,
  x0: Float64Array,
  pd: InitialPdConfig,
  horizon: number,
  variance: number,
): LinearGaussianController {
  const positions = task.state.flatMap((s, i) => (s.quantity === 'position' ? [i] : []));
  const velocities = task.state.flatMap((s, i) => (s.quantity === 'velocity' ? [i] : []));
  const A = task.action.length;
  if (positions.length < A || velocities.length < A)
    throw new RangeError(
      `task ${task.name}: the default initial PD needs a position and a velocity field per action (${A} actions, ${positions.length} positions, ${velocities.length} velocities)`,
    );
  return initialPd({
    stateDim: task.state.length,
    horizon,
    positionIndices: positions.slice(0, A),
    velocityIndices: velocities.slice(0, A),
    kp: pd.kp,
    kd: pd.kd,
    targetPose: pd.targetPose ?? positions.slice(0, A).map((i) => x0[i]),
    variance,
  });
}

/** The point and goal of the task's first distance-like cost term. */
function distanceGoal(task: Task): { point: string; target: readonly [number, number] } | null {
  for (const term of task.cost)
    if (term.type === 'distance' || term.type === 'exp_distance')
      return { point: term.point, target: term.target };
  return null;
}
