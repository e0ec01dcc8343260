/**
 * `mbrl run --config robot.yaml`: the robot stack in real time (drivers, controller,
 * logger, and for PETS the trainer and planner) until Ctrl-C, SIGTERM or --seconds. On the
 * way out the controller goes to stop, every driver sends its safe command, and the log is
 * flushed and closed, so nothing already logged is lost.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { loadRobotRunConfig } from '../robot/load-robot-run-config.js';
import { loadTask } from '../config/task-loader.js';
import { RobotStack, type RobotRunSummary } from '../robot/robot-stack.js';
import { TeleopKeyboardInput } from '../nodes/teleop/keyboard-input.js';
import { StatusLine } from '../nodes/teleop/status-line.js';
import { setLogSink, stderrSink } from '../runtime/logger.js';
import { parseInteger, parseNonNegative } from './parse-number.js';
import { untilStopped } from './until-stopped.js';

interface RunOptions {
  config: string;
  seconds?: number;
  logDir?: string;
  seed: number;
  teleop?: boolean;
  json?: boolean;
  joystick?: string;
  statusEvery: number;
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'run a robot from its config in real time: drivers, controller, data logger (and trainer for PETS)',
    )
    .requiredOption('--config <file>', 'robot config (hardware/robots/*.yaml)')
    .option('--seconds <s>', 'stop after this long (default: until Ctrl-C / SIGTERM)', parseNonNegative)
    .option('--log-dir <dir>', 'transition log directory (overrides logger.dir)')
    .option('--seed <s>', 'random seed', parseInteger, 1)
    .option(
      '--teleop',
      'also read the keyboard: the operator can drive (t: teleop mode), hand back (m: mpc, x: random), stop (s) and e-stop (e)',
    )
    .option(
      '--joystick <path>',
      'with --teleop: read a Linux joystick (/dev/input/jsN) into teleop.joy.topic',
    )
    .option('--json', 'print the summary as JSON')
    .option(
      '--status-every <s>',
      'seconds between status lines on stderr (without --teleop)',
      parseStatusPeriod,
      5,
    )
    .action(async (opts: RunOptions) => {
      setLogSink(stderrSink);
      const config = loadRobotRunConfig(opts.config);
      const task = loadTask(config.task);
      const statusLine = opts.teleop ? new StatusLine({ stream: process.stderr }) : null;
      let quit: () => void = () => undefined;
      const quitRequested = new Promise<void>((resolve) => (quit = resolve));
      const stack = await RobotStack.create({
        config,
        task,
        purpose: 'run',
        logDir: opts.logDir,
        seed: opts.seed,
        teleop: opts.teleop,
        joystick: opts.joystick,
        keyboard: opts.teleop ? new TeleopKeyboardInput({ stream: process.stdin }) : undefined,
        status: statusLine?.update,
        onQuit: () => quit(),
      });
      stack.start();
      process.stderr.write(
        `mbrl run: ${config.robot} (${task.task.name}) at ${config.control.rate_hz} Hz, controller ${config.controller.type}, logging to ${stack.logDir}\n`,
      );
      // With the keyboard, the teleop status line is the display; without, a line every few seconds.
      const status = statusLine
        ? undefined
        : setInterval(() => process.stderr.write(runStatus(stack) + '\n'), opts.statusEvery * 1000);
      await untilStopped(opts.seconds, quitRequested);
      clearInterval(status);
      const summary = await stack.stop();
      statusLine?.done();
      if (opts.teleop) process.stdin.pause();
      process.stdout.write(opts.json ? JSON.stringify(summary, null, 2) + '\n' : formatSummary(summary));
    });
}

function parseStatusPeriod(value: string): number {
  const seconds = parseNonNegative(value);
  if (seconds === 0) throw new InvalidArgumentError(`expected a positive number of seconds, got "${value}"`);
  return seconds;
}

function runStatus(stack: RobotStack): string {
  const c = stack.controller;
  const drivers = stack.drivers
    .map((d) => {
      const s = d.stats();
      return s
        ? `${d.name} ${s.connected ? 'up' : 'DOWN'} ok ${s.framesOk} bad ${s.badFrames}`
        : `${d.name} sim`;
    })
    .join('; ');
  return `mode ${c.mode}${c.estopActive ? ' E-STOP' : ''}, ticks ${c.stats.ticks} (safe ${c.stats.safeTicks}), transitions ${stack.logger.stats.transitions}${logStatus(stack)}, model v${stack.modelVersion}${stack.trainer?.busy ? ' (refitting)' : ''}; ${drivers}`;
}

/** How much of the log is on disk, and whether writing it fails (the control loop never sees that). */
function logStatus(stack: RobotStack): string {
  const h = stack.logger.sinkHealth;
  if (!h) return '';
  const trouble = h.failing ? `, LOG FAILING: ${h.lastError?.message ?? 'unknown error'}` : '';
  const dropped = h.dropped > 0 ? `, dropped ${h.dropped}` : '';
  return ` (durable ${h.durable}, queued ${h.queued}${dropped}${trouble})`;
}

export function formatSummary(s: RobotRunSummary): string {
  const lines = [
    `ticks:           ${s.ticks} at ${s.rateHz.toFixed(2)} Hz (jitter p99 ${s.jitterP99Ms.toFixed(2)} ms, ${s.deadlineMisses} deadline misses)`,
    `safe ticks:      ${s.safeTicks}`,
    `transitions:     ${s.transitions} logged in ${s.logDir}`,
    `model version:   ${s.modelVersion}`,
  ];
  for (const d of s.drivers) lines.push(`driver ${d.name}: ${d.stats ? JSON.stringify(d.stats) : d.kind}`);
  return lines.join('\n') + '\n';
}
