/**
 * `mbrl teleop --config robot.yaml`: drive the robot from the keyboard (or a joystick on the
 * joy topic) for data collection. Commands go through the controller in teleop mode, with
 * the same limits, rate limits, staleness and e-stop as any other mode, and the data logger
 * records every transition with source = teleop. q or Ctrl-C stops (safe command first).
 */
import type { Command } from 'commander';
import { loadRobotRunConfig } from '../robot/load-robot-run-config.js';
import { loadTask } from '../config/task-loader.js';
import { TeleopKeyboardInput } from '../nodes/teleop/keyboard-input.js';
import { StatusLine } from '../nodes/teleop/status-line.js';
import { RobotStack } from '../robot/robot-stack.js';
import { setLogSink, stderrSink } from '../runtime/logger.js';
import { formatSummary } from './run-command.js';
import { parseInteger, parseNonNegative } from './parse-number.js';
import { untilStopped } from './until-stopped.js';

interface TeleopOptions {
  config: string;
  seconds?: number;
  logDir?: string;
  seed: number;
  json?: boolean;
  joystick?: string;
}

export function registerTeleopCommand(program: Command): void {
  program
    .command('teleop')
    .description('drive a robot from the keyboard or a joystick and log the transitions (source teleop)')
    .requiredOption(
      '--config <file>',
      'robot config (hardware/robots/*.yaml); its teleop section maps keys and axes',
    )
    .option('--seconds <s>', 'stop after this long (default: until q or Ctrl-C)', parseNonNegative)
    .option('--log-dir <dir>', 'transition log directory (overrides logger.dir)')
    .option('--joystick <path>', 'read a Linux joystick (/dev/input/jsN) into teleop.joy.topic')
    .option('--seed <s>', 'random seed (simulator initial state)', parseInteger, 1)
    .option('--json', 'print the summary as JSON')
    .action(async (opts: TeleopOptions) => {
      setLogSink(stderrSink);
      const config = loadRobotRunConfig(opts.config);
      const task = loadTask(config.task);
      const keyboard = new TeleopKeyboardInput({ stream: process.stdin });
      const status = new StatusLine({ stream: process.stderr });
      let quit: () => void = () => undefined;
      const quitRequested = new Promise<void>((resolve) => (quit = resolve));
      const stack = await RobotStack.create({
        config,
        task,
        purpose: 'teleop',
        logDir: opts.logDir,
        seed: opts.seed,
        keyboard,
        joystick: opts.joystick,
        status: status.update,
        onQuit: () => quit(),
      });
      stack.start();
      await untilStopped(opts.seconds, quitRequested);
      const summary = await stack.stop();
      status.done();
      process.stdout.write(opts.json ? JSON.stringify(summary, null, 2) + '\n' : formatSummary(summary));
      // stdin keeps the event loop alive after raw mode is restored.
      process.stdin.pause();
    });
}
