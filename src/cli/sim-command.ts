/** `mbrl sim`: run episodes of a task on the embedded MuJoCo simulator. */
import { Option, type Command } from 'commander';
import { runSimExperiment, SIM_CONTROLLERS, type SimController } from '../experiments/sim-experiment.js';
import { setLogSink, stderrSink } from '../runtime/logger.js';
import { parseInteger, parseNonNegative } from './parse-number.js';
import { createProgress } from './progress.js';

interface SimOptions {
  task: string;
  controller: SimController;
  episodes: number;
  seed: number;
  out: string;
  noise: number;
  velocityNoise: number;
  latency: number;
}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('run episodes of a task on the embedded MuJoCo simulator (lockstep) and write metrics')
    .requiredOption('--task <name|file>', 'task name (see `mbrl tasks`) or task YAML file')
    .addOption(
      new Option('--controller <type>', 'what chooses the actions')
        .choices(SIM_CONTROLLERS)
        .default('random'),
    )
    .option('--episodes <n>', 'number of episodes', parseInteger, 1)
    .option('--seed <s>', 'random seed (same seed, same run)', parseInteger, 0)
    .option('--out <dir>', 'output directory', 'runs/sim')
    .option('--noise <std>', 'sensor noise std on joint positions (rad or m)', parseNonNegative, 0)
    .option('--velocity-noise <std>', 'sensor noise std on joint velocities', parseNonNegative, 0)
    .option('--latency <s>', 'sensor latency in seconds of sim time', parseNonNegative, 0)
    .action(async (opts: SimOptions) => {
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
        onEpisode: (m, done) => progress.update(done, { return: m.return, rtf: m.real_time_factor }),
      });
      progress.stop();
      const returns = results.map((r) => r.return);
      const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
      process.stdout.write(
        `${results.length} episodes of ${results[0].task} with ${opts.controller}: ` +
          `mean return ${mean.toFixed(3)} (min ${Math.min(...returns).toFixed(3)}, max ${Math.max(...returns).toFixed(3)})\n` +
          `metrics: ${opts.out}/metrics.jsonl\n`,
      );
    });
}
