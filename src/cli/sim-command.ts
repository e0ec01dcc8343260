/** `mbrl sim`: run episodes of a task on the embedded MuJoCo simulator. */
import { Option, type Command } from 'commander';
import { runLqrFlmExperiment } from '../experiments/lqr-flm-experiment.js';
import { runSimExperiment, SIM_CONTROLLERS, type SimController } from '../experiments/sim-experiment.js';
import { setLogSink, stderrSink } from '../runtime/logger.js';
import { parseInteger, parseNonNegative } from './parse-number.js';
import { createProgress } from './progress.js';

interface SimOptions {
  task: string;
  controller: SimController | 'lqr-flm';
  episodes: number;
  seed: number;
  out: string;
  noise: number;
  velocityNoise: number;
  latency: number;
  profile: string;
  explorationEpisodes: number;
  refitEvery: number;
  epochs?: number;
  budgetMs?: number;
  iterations: number;
  samples: number;
  conditions: number;
  klStep?: number;
}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('run episodes of a task on the embedded MuJoCo simulator (lockstep) and write metrics')
    .requiredOption('--task <name|file>', 'task name (see `mbrl tasks`) or task YAML file')
    .addOption(
      new Option('--controller <type>', 'what chooses the actions')
        .choices([...SIM_CONTROLLERS, 'lqr-flm'])
        .default('random'),
    )
    .option('--episodes <n>', 'number of episodes', parseInteger, 1)
    .option('--seed <s>', 'random seed (same seed, same run)', parseInteger, 0)
    .option('--out <dir>', 'output directory', 'runs/sim')
    .option('--noise <std>', 'sensor noise std on joint positions (rad or m)', parseNonNegative, 0)
    .option('--velocity-noise <std>', 'sensor noise std on joint velocities', parseNonNegative, 0)
    .option('--latency <s>', 'sensor latency in seconds of sim time', parseNonNegative, 0)
    .option('--profile <name>', 'pets: planner profile in hardware/planners/<task>.yaml', 'realtime')
    .option('--exploration-episodes <n>', 'pets: random episodes before MPC', parseInteger, 1)
    .option(
      '--refit-every <n>',
      'pets: also refit every N transitions (0 = after episodes only)',
      parseInteger,
      0,
    )
    .option(
      '--epochs <n>',
      'pets: training epochs per refit (default: the model config default)',
      parseInteger,
    )
    .option('--budget-ms <ms>', 'pets: per-plan compute budget (anytime planning)', parseNonNegative)
    .option('--iterations <n>', 'lqr-flm: controller updates', parseInteger, 15)
    .option('--samples <n>', 'lqr-flm: episodes per condition and iteration', parseInteger, 5)
    .option('--conditions <n>', 'lqr-flm: initial conditions (one local controller each)', parseInteger, 1)
    .option('--kl-step <nats>', 'lqr-flm: KL step per time step', parseNonNegative)
    .action(async (opts: SimOptions) => {
      if (opts.controller === 'lqr-flm') return runLqrFlm(opts);
      const progress = createProgress('episodes', opts.episodes);
      // Node logs would tear the progress bar; they go to stderr on their own lines.
      setLogSink(stderrSink);
      const results = await runSimExperiment({
        task: opts.task,
        controller: opts.controller,
        episodes: opts.episodes,
        seed: opts.seed,
        outDir: opts.out,
        sensorNoise: { position: opts.noise, velocity: opts.velocityNoise },
        latencySeconds: opts.latency,
        pets: {
          profile: opts.profile,
          explorationEpisodes: opts.explorationEpisodes,
          refitEveryTransitions: opts.refitEvery,
          training: opts.epochs === undefined ? undefined : { epochs: opts.epochs },
          budgetMs: opts.budgetMs,
        },
        onEpisode: (m, done) =>
          progress.update(done, { return: m.return, rtf: m.real_time_factor, model: m.model_version_after }),
      });
      progress.stop();
      const returns = results.map((r) => r.return);
      const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
      process.stdout.write(
        `${results.length} episodes of ${results[0].task} with ${opts.controller}: ` +
          `mean return ${mean.toFixed(3)} (min ${Math.min(...returns).toFixed(3)}, max ${Math.max(...returns).toFixed(3)})\n` +
          `metrics: ${opts.out}/metrics.jsonl\n` +
          (opts.controller === 'pets'
            ? `report: ${opts.out}/report.html\nlogs: ${opts.out}/logs\nmodels: ${opts.out}/models\n`
            : ''),
      );
    });
}

async function runLqrFlm(opts: SimOptions): Promise<void> {
  const progress = createProgress('iterations', opts.iterations + 1);
  setLogSink(stderrSink);
  const results = await runLqrFlmExperiment({
    task: opts.task,
    iterations: opts.iterations,
    samples: opts.samples,
    conditions: opts.conditions,
    seed: opts.seed,
    outDir: opts.out,
    klStep: opts.klStep,
    onIteration: (m, done) =>
      progress.update(done, { cost: m.cost, distance_cm: (m.final_distance ?? NaN) * 100 }),
  });
  progress.stop();
  const last = results.at(-1);
  process.stdout.write(
    `${results.length} iterations of LQR-FLM on ${opts.task}: final cost ${last?.cost.toFixed(3)}, ` +
      `mean final distance ${((last?.final_distance ?? NaN) * 100).toFixed(2)} cm\n` +
      `metrics: ${opts.out}/metrics.jsonl\nreport: ${opts.out}/report.html\nlogs: ${opts.out}/logs\n`,
  );
}
