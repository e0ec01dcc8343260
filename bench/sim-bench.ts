/**
 * Simulator throughput per task, in lockstep: raw MuJoCo physics steps, task-environment
 * control steps (physics + state read-out + cost), and the full node loop on the in-process
 * bus (simulator node -> joint_states -> controller with a random policy -> command).
 */
import { loadTask, listTaskNames } from '../src/config/task-loader.js';
import { Rng } from '../src/math/rng.js';
import { ControllerNode } from '../src/nodes/controller/controller-node.js';
import { MujocoSimNode } from '../src/nodes/mujoco-sim-node.js';
import { RandomPolicy } from '../src/policies/random-policy.js';
import { InProcessBus } from '../src/runtime/in-process-bus.js';
import { MemoryLogger } from '../src/runtime/memory-logger.js';
import { TaskEnvironment } from '../src/tasks/task-environment.js';
import type { BenchRow } from './bench-report.js';

/** Runs `body` repeatedly for at least `seconds`, returning iterations per second (best of 3). */
function rate(seconds: number, batch: number, body: () => void): number {
  let best = 0;
  for (let trial = 0; trial < 3; trial++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < (seconds * 1000) / 3) {
      for (let i = 0; i < batch; i++) body();
      n += batch;
      elapsed = performance.now() - start;
    }
    best = Math.max(best, (n * 1000) / elapsed);
  }
  return best;
}

export async function simBenchmark(seconds: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const name of listTaskNames()) {
    const env = await TaskEnvironment.create(loadTask(name));
    const rng = new Rng(1);
    env.reset(rng);
    const physics = rate(seconds, 1000, () => env.sim.step(1));
    const action = new Float64Array(env.actionDim);
    let steps = 0;
    const control = rate(seconds, 100, () => {
      if (++steps % env.episodeSteps === 0) env.reset(rng);
      for (let i = 0; i < action.length; i++) action[i] = rng.uniformIn(-1, 1);
      env.step(action);
    });
    const bus = new InProcessBus({ loggerFactory: (n) => new MemoryLogger(n) });
    const sim = new MujocoSimNode(bus.createNode('sim', { useSimTime: true }), {
      env,
      mode: 'lockstep',
      seed: 1,
    });
    new ControllerNode(bus.createNode('controller', { useSimTime: true }), {
      task: env.task,
      policies: { random: new RandomPolicy({ low: env.actionLow, high: env.actionHigh, seed: 2 }) },
      rateHz: 1 / env.dt,
      staleTimeoutSeconds: 2 * env.dt,
      safeAction: 'zero',
    });
    sim.reset();
    let loopSteps = 0;
    const loop = rate(seconds, 100, () => {
      if (++loopSteps % env.episodeSteps === 0) sim.reset();
      sim.advance();
    });
    if (sim.stats.missedCommands > 0)
      throw new Error(`${name}: controller missed ${sim.stats.missedCommands} periods`);
    await bus.shutdown();
    rows.push({
      task: name,
      timestep_ms: env.sim.timestep * 1000,
      substeps: env.substeps,
      physics_steps_per_s: physics,
      env_control_steps_per_s: control,
      node_loop_control_steps_per_s: loop,
      node_loop_real_time_factor: loop * env.dt,
    });
    env.dispose();
  }
  return rows;
}
