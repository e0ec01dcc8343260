/**
 * LQR-FLM on a task of the embedded simulator (Levine & Abbeel 2014, sec. 3; the GPS
 * "trajectory optimisation only" loop): fixed initial conditions drawn once from the task's
 * initial-state distribution; each iteration runs `samples` episodes per condition with the
 * current linear-Gaussian controllers (through LinearGaussianPolicy, source 'lqr'), logs every
 * transition to DIR/logs (MCAP), and hands the samples to LqrFlm.iterate for the next
 * controllers. One JSON object per iteration goes to DIR/metrics.jsonl; DIR/controllers.json
 * holds the final controllers and DIR/report.html charts the run.
 *
 * Trials run through the nodes a robot runs, on the in-process bus in lockstep: MujocoSimNode
 * -> joint_states -> ControllerNode (mode lqr, the LinearGaussianPolicy) -> command. A
 * TrialRunner resets the robot to the condition's start state (`reset`: teleport by default,
 * or a PD reset or an operator's go-ahead as a robot would need), then runs one episode; the
 * LqrFlm sample is built from the controller's control ticks (states as acted on, actions as
 * sent, i.e. clamped to the actuator bounds, costs c(s_{t+1}, a_t, a_{t-1}) from the task)
 * and the DataLoggerNode writes the same ticks to the log as source 'lqr' transitions. Reset
 * ticks are not logged (see TrialRunner.trialSink).
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
import { TrialResetSchema, type TrialResetConfig, type TrialResetInput } from '../config/robot-schema.js';
import { loadTask } from '../config/task-loader.js';
import type { Task } from '../config/task-schema.js';
import { TransitionLogWriter } from '../datalog/transition-log-writer.js';
import { FiniteDifferenceCost } from '../lqr/finite-difference-cost.js';
import { initialPd } from '../lqr/initial-controller.js';
import type { LinearGaussianController } from '../lqr/linear-gaussian-controller.js';
import { LqrFlm, type LqrFlmOptions } from '../lqr/lqr-flm.js';
import type { Trajectory } from '../lqr/trajectory.js';
import { Rng } from '../math/rng.js';
import { ControllerNode } from '../nodes/controller/controller-node.js';
import { DataLoggerNode } from '../nodes/data-logger/data-logger-node.js';
import { MujocoSimNode } from '../nodes/mujoco-sim-node.js';
import { TrialRunner, type TrialResult } from '../nodes/trial/trial-runner.js';
import { actuatedStateFields } from '../policies/actuated-state-fields.js';
import { JointPdPolicy } from '../policies/joint-pd-policy.js';
import { LinearGaussianPolicy } from '../policies/linear-gaussian-policy.js';
import { writeLqrFlmReport } from '../reports/lqr-flm-report.js';
import { InProcessBus } from '../runtime/in-process-bus.js';
import type { RuntimeNode } from '../runtime/node-api.js';
import type { TaskCost } from '../tasks/task-cost.js';
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
  /** How the robot returns to a condition's start state before each trial; default teleport. */
  reset?: TrialResetInput;
  /**
   * Run on this bus, so nodes already on it take part (e.g. an operator console publishing
   * trial/ready); it is left running. Default: a bus of the experiment's own.
   */
  bus?: InProcessBus;
  /** Called after each iteration with its metrics and the number of iterations done. */
  onIteration?: (metrics: LqrFlmIterationMetrics, done: number) => void;
  /** Called with each iteration's samples ([condition][sample]) just before LqrFlm consumes them. */
  onSamples?: (iteration: number, samples: readonly (readonly Trajectory[])[]) => void;
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
  const reset = parseReset(options.reset);
  const loaded = loadTask(options.task ?? 'reacher-2link');
  const { task } = loaded;
  mkdirSync(options.outDir, { recursive: true });
  const metricsPath = join(options.outDir, 'metrics.jsonl');
  writeFileSync(metricsPath, '');

  const env = await TaskEnvironment.create(loaded);
  const ownBus = options.bus ? null : new InProcessBus();
  const bus = options.bus ?? ownBus!;
  const nodes: RuntimeNode[] = [];
  const node = (name: string) => {
    const n = bus.createNode(name, { useSimTime: true });
    nodes.push(n);
    return n;
  };
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
          reset,
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
    const sim = new MujocoSimNode(node('mujoco_sim'), { env, mode: 'lockstep', seed: seeds.nextUint32() });
    const pdReset =
      reset.type === 'pd' ? JointPdPolicy.forTask(task, { kp: reset.kp, kd: reset.kd }) : undefined;
    const controller = new ControllerNode(node('controller'), {
      task,
      policies: pdReset ? { lqr: policy, reset: pdReset } : { lqr: policy },
      // The trial runner picks the mode; until then the safe action.
      mode: 'stop',
      rateHz: 1 / task.dt,
      staleTimeoutSeconds: 2 * task.dt,
      safeAction: 'zero',
    });
    // A robot is somewhere when the run starts: the simulated one appears, at a draw from the
    // task's initial distribution, in the first period the runner asks for, so the controller is
    // already in the reset's mode when it first sees a state. A teleport places it instead.
    let powered = false;
    const runner = new TrialRunner(node('trial_runner'), {
      task,
      controller,
      reset,
      resetPolicy: pdReset,
      driver: {
        advance: () => {
          if (powered) sim.advance();
          else sim.reset();
          powered = true;
        },
        teleport: (x) => {
          sim.reset(x);
          powered = true;
        },
      },
    });
    const logger = writer
      ? new DataLoggerNode(node('data_logger'), { task, sink: runner.trialSink(writer) })
      : null;
    const results: LqrFlmIterationMetrics[] = [];
    let controllers: LinearGaussianController[] = flm.controllers;
    for (let iteration = 0; iteration < options.iterations; iteration++) {
      const started = performance.now();
      const samples: Trajectory[][] = [];
      const finalDistances: (number | null)[] = [];
      for (let m = 0; m < conditionCount; m++) {
        policy.setController(controllers[m], iteration);
        const list: Trajectory[] = [];
        let distanceSum = 0;
        for (let s = 0; s < options.samples; s++) {
          const trajectory = sampleOf(await runner.runTrial(conditions[m], T), env.cost);
          if (logger && logger.stats.sinkErrors > 0)
            throw new Error(
              `the transition log lost ${logger.stats.sinkErrors} transitions (see the data_logger warnings)`,
            );
          list.push(trajectory);
          if (goal) {
            const p = env.cost.point(goal.point, trajectory.states[T]);
            distanceSum += Math.hypot(p[0] - goal.target[0], p[1] - goal.target[1]);
          }
        }
        samples.push(list);
        finalDistances.push(goal ? distanceSum / options.samples : null);
      }
      options.onSamples?.(iteration, samples);
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
    for (const n of nodes) n.destroy();
    await ownBus?.shutdown();
    await writer?.close();
    env.dispose();
  }
}

/** The reset option with its defaults, or a RangeError naming the bad field. */
function parseReset(input: TrialResetInput | undefined): TrialResetConfig {
  const parsed = TrialResetSchema.safeParse(input ?? { type: 'teleport' });
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map(
    (i) => `${['reset', ...i.path.map(String)].join('.')}: ${i.message}`,
  );
  throw new RangeError(issues.join('; '));
}

/**
 * The LqrFlm sample of a trial: states as the controller acted on them, actions as it sent
 * them, and c(s_{t+1}, a_t, a_{t-1}) per step, the convention the data logger's rewards and
 * TaskEnvironment.step share.
 */
function sampleOf(trial: TrialResult, cost: TaskCost): Trajectory {
  const { states, actions } = trial;
  const costs = Float64Array.from(actions, (a, t) =>
    cost.evaluate(states[t + 1], a, t > 0 ? actions[t - 1] : null),
  );
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
  const { positions, velocities } = actuatedStateFields(task, 'the default initial PD');
  return initialPd({
    stateDim: task.state.length,
    horizon,
    positionIndices: positions,
    velocityIndices: velocities,
    kp: pd.kp,
    kd: pd.kd,
    targetPose: pd.targetPose ?? positions.map((i) => x0[i]),
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
