/**
 * `mbrl sim`: episodes of a task on the embedded simulator, run through the same nodes a
 * robot uses (simulator node -> joint_states -> controller node -> command) on the
 * in-process bus in lockstep, so results are reproducible and faster than real time.
 * Each episode's metrics are appended to DIR/metrics.jsonl as one JSON object.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTask } from '../config/task-loader.js';
import { Rng } from '../math/rng.js';
import { ControllerNode } from '../nodes/controller/controller-node.js';
import { MujocoSimNode } from '../nodes/mujoco-sim-node.js';
import type { Policy } from '../policies/policy.js';
import { RandomPolicy } from '../policies/random-policy.js';
import { InProcessBus } from '../runtime/in-process-bus.js';
import { TaskEnvironment } from '../tasks/task-environment.js';

export type SimController = 'random';
export const SIM_CONTROLLERS: readonly SimController[] = ['random'];

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
  /** Called after each episode. */
  onEpisode?: (metrics: EpisodeMetrics, done: number) => void;
}

export interface EpisodeMetrics {
  episode: number;
  return: number;
  steps: number;
  seed: number;
  controller: SimController;
  task: string;
  /** Control periods in which the controller used the safe action. */
  safe_ticks: number;
  /** Control periods the simulator ran without a fresh command. */
  missed_commands: number;
  wall_s: number;
  /** Simulated seconds per wall second. */
  real_time_factor: number;
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
  try {
    const sim = new MujocoSimNode(bus.createNode('mujoco_sim', { useSimTime: true }), {
      env,
      mode: 'lockstep',
      seed: seeds.nextUint32(),
      noise: options.sensorNoise,
      latencySeconds: options.latencySeconds,
    });
    const policy = makePolicy(options.controller, env, seeds.nextUint32());
    const controller = new ControllerNode(bus.createNode('controller', { useSimTime: true }), {
      task,
      policy,
      rateHz: 1 / task.dt,
      staleTimeoutSeconds: 2 * task.dt + (options.latencySeconds ?? 0),
      safeAction: 'zero',
    });
    const results: EpisodeMetrics[] = [];
    for (let episode = 0; episode < options.episodes; episode++) {
      const started = performance.now();
      const safeBefore = controller.stats.safeTicks;
      const missedBefore = sim.stats.missedCommands;
      controller.resetEpisode();
      sim.reset();
      let total = 0;
      for (let t = 0; t < task.episode_steps; t++) total += sim.advance().reward;
      const wall = (performance.now() - started) / 1000;
      const metrics: EpisodeMetrics = {
        episode,
        return: total,
        steps: task.episode_steps,
        seed: options.seed,
        controller: options.controller,
        task: task.name,
        safe_ticks: controller.stats.safeTicks - safeBefore,
        missed_commands: sim.stats.missedCommands - missedBefore,
        wall_s: wall,
        real_time_factor: (task.episode_steps * task.dt) / wall,
      };
      appendFileSync(metricsPath, JSON.stringify(metrics) + '\n');
      results.push(metrics);
      options.onEpisode?.(metrics, episode + 1);
    }
    return results;
  } finally {
    await bus.shutdown();
    env.dispose();
  }
}

function makePolicy(controller: SimController, env: TaskEnvironment, seed: number): Policy {
  switch (controller) {
    case 'random':
      return new RandomPolicy({ low: env.actionLow, high: env.actionHigh, seed });
  }
}
