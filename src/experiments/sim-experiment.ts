/**
 * `mbrl sim`: episodes of a task on the embedded simulator, run through the same nodes a
 * robot uses (simulator node -> joint_states -> controller node -> command) on the
 * in-process bus in lockstep, so results are reproducible and faster than real time.
 * Each episode's metrics are appended to DIR/metrics.jsonl as one JSON object.
 *
 * With the `pets` controller this is the PETS loop (Chua et al. 2018, Algorithm 1): random
 * exploration first, then MPC through the learned ensemble, every transition logged to
 * DIR/logs (MCAP), a refit after each episode (and optionally every N transitions) written to
 * DIR/models, the new model swapped in between ticks; DIR/report.html plots the run.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTask } from '../config/task-loader.js';
import { Rng } from '../math/rng.js';
import { ControllerNode } from '../nodes/controller/controller-node.js';
import { MujocoSimNode } from '../nodes/mujoco-sim-node.js';
import { RandomPolicy } from '../policies/random-policy.js';
import { InProcessBus } from '../runtime/in-process-bus.js';
import { TaskEnvironment } from '../tasks/task-environment.js';
import { loadPlannerProfile, type PlannerProfile } from '../planning/planner-profile.js';
import { writeRunReport } from '../reports/run-report.js';
import type { TrainingHyperparameters } from '../models/member-training.js';
import { LearningStack } from './learning-stack.js';

export type SimController = 'random' | 'pets';
export const SIM_CONTROLLERS: readonly SimController[] = ['random', 'pets'];

export interface PetsOptions {
  /** Planner profile name (hardware/planners/<task>.yaml) or a profile; default 'realtime'. */
  profile?: string | PlannerProfile;
  /** Random-exploration episodes before MPC; default 1. */
  explorationEpisodes?: number;
  /** Also refit every N transitions within an episode; default 0 (after episodes only). */
  refitEveryTransitions?: number;
  training?: Partial<TrainingHyperparameters>;
  budgetMs?: number;
}

export interface SimExperimentOptions {
  /** Task name (hardware/tasks) or path to a task YAML file. */
  task: string;
  controller: SimController;
  episodes: number;
  seed: number;
  outDir: string;
  /** Gaussian noise std on published joint positions and velocities. */
  sensorNoise?: { position?: number; velocity?: number };
  latencySeconds?: number;
  pets?: PetsOptions;
  /** Write DIR/report.html at the end (default true for pets). */
  report?: boolean;
  /** Called after each episode. */
  onEpisode?: (metrics: EpisodeMetrics, done: number) => void;
}

export interface EpisodeMetrics {
  episode: number;
  return: number;
  steps: number;
  seed: number;
  controller: SimController;
  /** What chose this episode's actions: random exploration or MPC. */
  source: 'random' | 'mpc';
  task: string;
  /** Control periods in which the controller used the safe action. */
  safe_ticks: number;
  /** Control periods the simulator ran without a fresh command. */
  missed_commands: number;
  wall_s: number;
  /** Simulated seconds per wall second. */
  real_time_factor: number;
  /** Model version that acted (0 = none). */
  model_version: number;
  planning_ms_p50: number | null;
  planning_ms_p95: number | null;
  /** Plans slower than the control period. */
  deadline_misses: number;
  /** One-step prediction error of the acting model on this episode's transitions. */
  prediction_error: number | null;
  control_period_ms: number;
  /** Transitions logged in this episode. */
  transitions: number;
  /** Model version in service after this episode's refit. */
  model_version_after: number;
}

export async function runSimExperiment(options: SimExperimentOptions): Promise<EpisodeMetrics[]> {
  if (!Number.isInteger(options.episodes) || options.episodes < 1)
    throw new RangeError(`--episodes must be a positive integer, got ${options.episodes}`);
  if (!Number.isInteger(options.seed)) throw new RangeError(`--seed must be an integer, got ${options.seed}`);
  const loaded = loadTask(options.task);
  const { task } = loaded;
  mkdirSync(options.outDir, { recursive: true });
  const metricsPath = join(options.outDir, 'metrics.jsonl');
  writeFileSync(metricsPath, '');
  writeFileSync(
    join(options.outDir, 'run.json'),
    JSON.stringify(
      {
        task: task.name,
        task_file: loaded.file,
        controller: options.controller,
        episodes: options.episodes,
        seed: options.seed,
        sensor_noise: options.sensorNoise ?? null,
        latency_s: options.latencySeconds ?? 0,
        started: new Date().toISOString(),
      },
      null,
      2,
    ) + '\n',
  );

  const env = await TaskEnvironment.create(loaded);
  const bus = new InProcessBus();
  const seeds = new Rng(options.seed);
  let learning: LearningStack | null = null;
  try {
    const sim = new MujocoSimNode(bus.createNode('mujoco_sim', { useSimTime: true }), {
      env,
      mode: 'lockstep',
      seed: seeds.nextUint32(),
      noise: options.sensorNoise,
      latencySeconds: options.latencySeconds,
    });
    const random = new RandomPolicy({ low: env.actionLow, high: env.actionHigh, seed: seeds.nextUint32() });
    const pets = options.controller === 'pets' ? (options.pets ?? {}) : null;
    if (pets) {
      learning = await LearningStack.create({
        bus,
        loaded,
        profile:
          typeof pets.profile === 'object'
            ? pets.profile
            : loadPlannerProfile(task.name, pets.profile ?? 'realtime'),
        outDir: options.outDir,
        seed: seeds.nextUint32(),
        training: pets.training,
        refitEveryTransitions: pets.refitEveryTransitions,
        budgetMs: pets.budgetMs,
      });
    }
    const controller = new ControllerNode(bus.createNode('controller', { useSimTime: true }), {
      task,
      policies: learning ? { random, mpc: learning.policy } : { random },
      mode: 'random',
      rateHz: 1 / task.dt,
      staleTimeoutSeconds: 2 * task.dt + (options.latencySeconds ?? 0),
      safeAction: 'zero',
    });
    const exploration = pets ? (pets.explorationEpisodes ?? 1) : options.episodes;
    const planLog = join(options.outDir, 'planning.jsonl');
    if (learning) writeFileSync(planLog, '');
    const results: EpisodeMetrics[] = [];
    for (let episode = 0; episode < options.episodes; episode++) {
      const started = performance.now();
      const safeBefore = controller.stats.safeTicks;
      const missedBefore = sim.stats.missedCommands;
      const source = episode < exploration ? 'random' : 'mpc';
      controller.setMode(source);
      controller.resetEpisode({ steps: task.episode_steps });
      learning?.beginEpisode(episode);
      sim.reset();
      let total = 0;
      for (let t = 0; t < task.episode_steps; t++) {
        total += sim.advance().reward;
        // A refit asked for mid-episode is waited for, so lockstep runs stay reproducible.
        if (learning?.busy) await learning.settle();
      }
      const wall = (performance.now() - started) / 1000;
      const stats = learning?.endEpisode();
      if (learning) {
        appendFileSync(planLog, learning.takePlanLines());
        await learning.refitNow('episode end');
      }
      const metrics: EpisodeMetrics = {
        episode,
        return: total,
        steps: task.episode_steps,
        seed: options.seed,
        controller: options.controller,
        source,
        task: task.name,
        safe_ticks: controller.stats.safeTicks - safeBefore,
        missed_commands: sim.stats.missedCommands - missedBefore,
        wall_s: wall,
        real_time_factor: (task.episode_steps * task.dt) / wall,
        model_version: stats?.modelVersion ?? 0,
        planning_ms_p50: stats?.planningMsP50 ?? null,
        planning_ms_p95: stats?.planningMsP95 ?? null,
        deadline_misses: stats?.deadlineMisses ?? 0,
        prediction_error: stats?.predictionError ?? null,
        control_period_ms: task.dt * 1000,
        transitions: stats?.transitions ?? 0,
        model_version_after: learning?.modelVersion ?? 0,
      };
      appendFileSync(metricsPath, JSON.stringify(metrics) + '\n');
      results.push(metrics);
      options.onEpisode?.(metrics, episode + 1);
    }
    if (options.report ?? options.controller === 'pets') await writeRunReport(options.outDir);
    return results;
  } finally {
    await learning?.close();
    await bus.shutdown();
    env.dispose();
  }
}
