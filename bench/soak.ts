/**
 * `npm run soak -- --minutes N [--out DIR] [--sample-seconds S] [--warmup-seconds W]`: the
 * cart-pole robot config with PETS (realtime profile) run for N minutes against the virtual
 * serial board over a socat pty pair, everything in this process as `mbrl run` composes it
 * (RobotStack: driver, controller, logger, trainer with refits every 300 transitions, planner
 * worker). Every ~10 s it samples heap, RSS, live tensors (main thread and planner worker),
 * control jitter and deadline misses of the window, log size, transitions and model version.
 * At the end the log is read back from MCAP and every state-bearing pair of control ticks is
 * accounted for; then JSON on stdout, tables, soak.svg and soak.json in the output directory,
 * and a verdict against SOAK_BOUNDS (exit code 1 when a bound is broken).
 */
import { createWriteStream, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadRobotConfig } from '../src/config/robot-loader.js';
import { loadTask } from '../src/config/task-loader.js';
import { readTransitionLog } from '../src/datalog/transition-log-reader.js';
import { SocatPtyPair, socatAvailable } from '../src/hardware/testing/socat-pty-pair.js';
import { nearestRank } from '../src/math/percentile.js';
import { RobotStack } from '../src/robot/robot-stack.js';
import { setLogSink } from '../src/runtime/logger.js';
import {
  SHIPPED_CARTPOLE_CALIBRATION,
  SHIPPED_CARTPOLE_DEVICE,
  shippedCartpoleSerialBoard,
} from '../src/virtual-devices/testing/shipped-cartpole-serial-board.js';
import { machineInfo } from './bench-report.js';
import { SOAK_BOUNDS, soakChecks, soakSvg, table, type SoakSample, type SoakTotals } from './soak-report.js';

interface SoakOptions {
  minutes: number;
  out: string;
  sampleSeconds: number;
  warmupSeconds: number;
}

const RATE_HZ = 25;
const REFIT_EVERY = 300;

function parseArgs(argv: string[]): SoakOptions {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const number = (flag: string, fallback: number) => {
    const text = value(flag);
    const n = text === undefined ? fallback : Number(text);
    if (!(n > 0)) throw new Error(`${flag} must be a positive number, got ${text}`);
    return n;
  };
  const minutes = number('--minutes', 30);
  return {
    minutes,
    out: resolve(value('--out') ?? join('runs', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}`)),
    sampleSeconds: number('--sample-seconds', 10),
    // Refits, JIT and the planner's first model settle in the first minute.
    warmupSeconds: number('--warmup-seconds', Math.min(60, 15 * minutes)),
  };
}

function robotYaml(out: string, port: string): string {
  return [
    '# Written by bench/soak.ts: hardware/robots/cartpole-serial.yaml with the soak pty and refits',
    `# every ${REFIT_EVERY} transitions.`,
    'robot: cartpole',
    'task: cartpole-swingup',
    'control:',
    `  rate_hz: ${RATE_HZ}`,
    '  stale_timeout_s: 0.1',
    '  safe_action: zero',
    '  clock: wall',
    '  limits:',
    '    cart_force: { min: -1, max: 1, rate_limit_per_s: 50 }',
    'controller: { type: pets, profile: realtime }',
    'model: { members: 5, elites: 5, hidden_layers: 2, hidden_units: 64, epochs: 30, batch_size: 32 }',
    'logger:',
    `  dir: ${JSON.stringify(join(out, 'logs'))}`,
    '  flush_interval_s: 1',
    `  refit_every_transitions: ${REFIT_EVERY}`,
    'drivers:',
    '  - type: serial',
    `    device: ${JSON.stringify(SHIPPED_CARTPOLE_DEVICE)}`,
    `    calibration: ${JSON.stringify(SHIPPED_CARTPOLE_CALIBRATION)}`,
    `    port: ${JSON.stringify(port)}`,
    '',
  ].join('\n');
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? dirBytes(path) : statSync(path).size;
  }
  return total;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

async function main(argv: string[]): Promise<void> {
  const options = parseArgs(argv);
  if (!socatAvailable())
    throw new Error('socat is not installed (apt-get install socat): the soak needs a pty pair');
  mkdirSync(options.out, { recursive: true });
  const logFile = createWriteStream(join(options.out, 'soak.log'));
  setLogSink((record) => logFile.write(`${record.line}\n`));
  const task = loadTask('cartpole-swingup');
  const pair = await SocatPtyPair.create();
  const board = await shippedCartpoleSerialBoard({ task, port: pair.devicePath, seed: 3 });
  const robotFile = join(options.out, 'robot.yaml');
  writeFileSync(robotFile, robotYaml(options.out, pair.hostPath));
  const stack = await RobotStack.create({
    config: loadRobotConfig(robotFile),
    task,
    purpose: 'run',
    seed: 1,
    modelsDir: join(options.out, 'models'),
  });

  // Every tick, as the logger sees it: state-bearing pairs of one episode are what can become
  // transitions.
  let ticks = 0;
  let stateTicks = 0;
  let tickPairs = 0;
  let previous: { episode: number; step: number; hasState: boolean; terminal: boolean } | null = null;
  stack.bus
    .createNode('soak_observer')
    .createSubscription('mbrl_msgs/msg/ControlTick', 'control_ticks', (m) => {
      ticks++;
      if (m.has_state) stateTicks++;
      if (
        previous?.hasState &&
        m.has_state &&
        !previous.terminal &&
        previous.episode === m.episode &&
        m.step === previous.step + 1
      )
        tickPairs++;
      previous = { episode: m.episode, step: m.step, hasState: m.has_state, terminal: m.terminal };
    });
  // Per-window start jitter: ControlTiming keeps only a sliding summary, so see each record.
  const timing = stack.controller.timing;
  const record = timing.record.bind(timing);
  let windowJitter: number[] = [];
  timing.record = (expected, actual, missed, work) => {
    windowJitter.push(1000 * Math.max(0, actual - expected));
    record(expected, actual, missed, work);
  };

  const samples: SoakSample[] = [];
  const logDir = stack.logDir;
  board.start();
  stack.start();
  const started = performance.now();
  const durationMs = options.minutes * 60_000;
  process.stderr.write(
    `soak: ${options.minutes} min, sampling every ${options.sampleSeconds} s, warm-up ${options.warmupSeconds} s, output ${options.out}\n`,
  );
  let lastTicks = 0;
  let lastMisses = 0;
  for (let k = 1; ; k++) {
    const due = Math.min(k * options.sampleSeconds * 1000, durationMs);
    await sleep(started + due - performance.now());
    const jitter = windowJitter.sort((a, b) => a - b);
    windowJitter = [];
    const memory = process.memoryUsage();
    const sample: SoakSample = {
      t_s: Math.round((performance.now() - started) / 100) / 10,
      heap_used_mb: mb(memory.heapUsed),
      rss_mb: mb(memory.rss),
      main_tensors: tf.memory().numTensors,
      planner_tensors: stack.planner?.workerTensors ?? -1,
      ticks,
      state_ticks: stateTicks,
      window_ticks: ticks - lastTicks,
      window_jitter_p99_ms: jitter.length ? nearestRank(jitter, 0.99) : 0,
      window_jitter_max_ms: jitter.at(-1) ?? 0,
      window_deadline_misses: timing.deadlineMisses - lastMisses,
      transitions: stack.logger.stats.transitions,
      log_mb: mb(dirBytes(logDir)),
      model_version: stack.modelVersion,
      refits: stack.trainer?.stats.refits ?? 0,
      mode: stack.controller.mode,
    };
    lastTicks = ticks;
    lastMisses = timing.deadlineMisses;
    samples.push(sample);
    process.stderr.write(
      `soak ${sample.t_s.toFixed(0)} s: heap ${sample.heap_used_mb} MB, rss ${sample.rss_mb} MB, tensors ${sample.main_tensors}/${sample.planner_tensors}, jitter p99 ${sample.window_jitter_p99_ms.toFixed(2)} ms, misses ${sample.window_deadline_misses}, transitions ${sample.transitions}, model v${sample.model_version}, ${sample.mode}\n`,
    );
    if (due >= durationMs) break;
  }
  const seconds = (performance.now() - started) / 1000;
  const trainer = stack.trainer?.stats;
  const summary = await stack.stop();
  await board.close();
  await pair.close();
  const { records } = await readTransitionLog(logDir);

  const totals: SoakTotals = {
    seconds,
    rateHz: RATE_HZ,
    warmupSeconds: options.warmupSeconds,
    ticks,
    stateTicks,
    tickPairs,
    frozenTransitions: stack.logger.stats.frozenTransitions,
    loggerTransitions: summary.transitions,
    readBack: records.length,
    modelsAccepted: trainer?.accepted ?? 0,
    refits: trainer?.refits ?? 0,
  };
  const checks = soakChecks(samples, totals);
  const pass = checks.every((c) => c.pass);
  const doc = {
    benchmark: 'soak',
    command: `npm run soak -- --minutes ${options.minutes}`,
    machine: machineInfo(),
    date: new Date().toISOString(),
    output: options.out,
    bounds: SOAK_BOUNDS,
    totals,
    run: summary,
    verdict: pass ? 'pass' : 'fail',
    checks,
    samples,
  };
  writeFileSync(join(options.out, 'soak.json'), JSON.stringify(doc, null, 2) + '\n');
  writeFileSync(join(options.out, 'soak.svg'), await soakSvg(samples, options.warmupSeconds));
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n\n');
  process.stdout.write(
    table(
      samples.map((s) => ({
        t_s: s.t_s,
        heap_mb: s.heap_used_mb,
        rss_mb: s.rss_mb,
        main_tensors: s.main_tensors,
        planner_tensors: s.planner_tensors,
        jitter_p99_ms: s.window_jitter_p99_ms,
        misses: s.window_deadline_misses,
        transitions: s.transitions,
        log_mb: s.log_mb,
        model: s.model_version,
        mode: s.mode,
      })),
    ) + '\n\n',
  );
  process.stdout.write(
    table(
      checks.map((c) => ({
        check: c.check,
        bound: c.bound,
        measured: c.measured,
        pass: c.pass ? 'yes' : 'NO',
      })),
    ) + '\n\n',
  );
  process.stdout.write(`verdict: ${pass ? 'PASS' : 'FAIL'} (plot: ${join(options.out, 'soak.svg')})\n`);
  await new Promise<void>((resolve) => logFile.end(() => resolve()));
  process.exitCode = pass ? 0 : 1;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
