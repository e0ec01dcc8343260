/**
 * Fault injection: processes killed without warning (SIGKILL: no handler runs, nothing is
 * flushed or closed). The real stack runs as the user runs it: `mbrl run` (the compiled CLI,
 * logger and trainer inside it) on the embedded MuJoCo cart-pole, and `mbrl device serial` as
 * the robot's board on one end of a socat pty pair. Outcomes are checked in the MCAP log.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { hardwareDir, calibrationDir } from '../../src/config/package-paths.js';
import { loadTask, type LoadedTask } from '../../src/config/task-loader.js';
import { TransitionLogWriter } from '../../src/datalog/transition-log-writer.js';
import { Rng } from '../../src/math/rng.js';
import { TaskEnvironment } from '../../src/tasks/task-environment.js';
import { LOCK_FILE } from '../../src/datalog/log-dir-lock.js';
import { readTransitionLog } from '../../src/datalog/transition-log-reader.js';
import { SocatPtyPair, serialTestSkipReason } from '../../src/hardware/testing/socat-pty-pair.js';
import { waitFor } from '../../src/hardware/testing/wait-for.js';
import { ensembleSpecForTask } from '../../src/models/ensemble-spec-for-task.js';
import { listVersions } from '../../src/models/model-artifact.js';
import { ModelSchema } from '../../src/config/robot-schema.js';
import { TrainerNode, type TrainerOutcome } from '../../src/nodes/trainer/trainer-node.js';
import { InProcessBus } from '../../src/runtime/in-process-bus.js';
import { MemoryLogger, type MemoryLogEntry } from '../../src/runtime/memory-logger.js';
import {
  MbrlProcess,
  SIM_DRIVER,
  sequenceProblem,
  sha256,
  writeRobotConfig,
} from '../../src/testing/fault-harness.js';

after(() => MbrlProcess.stopAll());

const FLUSH_S = 0.2;
const STALE_S = 0.3;

test('SIGKILL of `mbrl run` mid-refit: the log keeps every flushed transition, and a restart recovers it and appends to a new file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fault-kill-run-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const logDir = join(dir, 'logs');
  // PETS with a tiny model and a refit every 50 transitions: the trainer's worker thread is
  // busy for most of the run, so the kill lands in the middle of a refit.
  const config = writeRobotConfig(dir, 'robot.yaml', [
    'robot: cartpole',
    'task: cartpole-swingup',
    // Loose: a loaded machine's stalls must not make states stale (and transitions dropped).
    'control: { rate_hz: 25, stale_timeout_s: 1, clock: wall }',
    'controller: { type: pets, profile: realtime }',
    'model: { members: 2, elites: 2, hidden_layers: 1, hidden_units: 16, epochs: 40, batch_size: 32 }',
    `logger: { flush_interval_s: ${FLUSH_S}, refit_every_transitions: 50 }`,
    ...SIM_DRIVER,
  ]);
  const args = ['run', '--config', config, '--log-dir', logDir, '--json', '--status-every', '0.1'];

  const first = new MbrlProcess(args);
  const early = await first.waitForStatus(
    (s) => s.transitions >= 60 && s.refitting,
    '60 transitions and a refit running',
  );
  const earlyAt = Date.now();
  // Every transition counted in `early` was appended before earlyAt; kill once two flush
  // intervals have passed and the run has printed again (so its timers are demonstrably running).
  const seen = first.statuses().length;
  await waitFor(
    () => Date.now() - earlyAt >= 2 * FLUSH_S * 1000 && first.statuses().length > seen + 1,
    'two flush intervals after the status line',
  );
  const beforeKill = first.lastStatus();
  assert.ok(beforeKill?.refitting, `a refit was running at the kill: ${beforeKill?.line}`);
  const killed = await first.kill('SIGKILL');
  assert.equal(killed.signal, 'SIGKILL');

  // The killed process left its lock and an unfinished file.
  assert.equal(readFileSync(join(logDir, LOCK_FILE), 'utf8').split('\n')[0], String(first.pid));
  const killedFiles = readdirSync(logDir).filter((n) => n.endsWith('.mcap'));
  assert.equal(killedFiles.length, 1, `files: ${killedFiles.join(', ')}`);
  const killedFile = join(logDir, killedFiles[0]);
  const cut = await readTransitionLog(killedFile);
  assert.equal(cut.files[0].finished, false, 'the killed run never finished its file');
  const durableAtKill = Math.max(early.transitions, beforeKill.durable);
  assert.ok(
    cut.records.length >= durableAtKill,
    `log holds ${cut.records.length} transitions; ${early.transitions} were older than 2 flush intervals and ${beforeKill.durable} reported durable`,
  );
  assert.equal(sequenceProblem(cut.records), undefined);
  assert.ok(cut.records.every((r) => r.source === 'random' || r.source === 'mpc' || r.source === 'safe'));

  // Restart on the same directory: the stale lock must not block it.
  const second = new MbrlProcess(args);
  await second.waitForStatus((s) => s.durable >= 25, '25 durable transitions after the restart');
  assert.equal(readFileSync(join(logDir, LOCK_FILE), 'utf8').split('\n')[0], String(second.pid));
  // Recovery finished the killed file in place (index and footer added) with exactly the
  // records it held; from then on the new run leaves it alone.
  const recovered = await readTransitionLog(killedFile);
  assert.equal(recovered.files[0].finished, true);
  assert.deepStrictEqual(recovered.records, cut.records);
  const recoveredHash = sha256(killedFile);
  const stopped = await second.stop();
  assert.equal(stopped.code, 0, second.stderr);
  const summary = JSON.parse(second.stdout) as { transitions: number };

  assert.equal(sha256(killedFile), recoveredHash, 'the new run never wrote to the old file');
  const files = readdirSync(logDir)
    .filter((n) => n.endsWith('.mcap'))
    .sort();
  assert.equal(files[0], killedFiles[0]);
  assert.ok(files.length >= 2, `the new run wrote a new file: ${files.join(', ')}`);
  assert.ok(!existsSync(join(logDir, LOCK_FILE)), 'a clean stop releases the lock');
  const newRecords = [];
  for (const name of files.slice(1)) {
    const log = await readTransitionLog(join(logDir, name));
    assert.ok(log.files[0].finished, `${name} finished by the clean stop`);
    newRecords.push(...log.records);
  }
  assert.equal(sequenceProblem(newRecords), undefined);
  assert.equal(newRecords.length, summary.transitions, 'a clean stop writes every transition');
  assert.ok(newRecords[0].stamp > cut.records.at(-1)!.stamp, 'the new run comes after the old one');
  // Read as one log, the directory is the old run then the new one, nothing twice.
  const whole = await readTransitionLog(logDir);
  assert.equal(whole.records.length, cut.records.length + newRecords.length);
});

const serialSkip = serialTestSkipReason();
if (serialSkip) console.log(`# skipped: ${serialSkip}`);

test(
  'SIGKILL of the board process (`mbrl device serial`): the run survives on the safe action, and transitions resume when the board restarts',
  { skip: serialSkip },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'fault-kill-board-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // The socat pair (the USB cable) stays up: only the board's process dies and comes back.
    const pair = await SocatPtyPair.create();
    t.after(() => pair.close());
    const logDir = join(dir, 'logs');
    const deviceFile = join(hardwareDir(), 'devices', 'cartpole-serial.yaml');
    const config = writeRobotConfig(dir, 'robot.yaml', [
      'robot: cartpole',
      'task: cartpole-swingup',
      // A stale timeout loose enough that a loaded CI machine does not trip it with the board up.
      `control: { rate_hz: 25, stale_timeout_s: ${STALE_S}, clock: wall }`,
      'controller: { type: random, seed: 5, smoothing: 0.8 }',
      `logger: { flush_interval_s: ${FLUSH_S} }`,
      'drivers:',
      `  - { type: serial, device: ${JSON.stringify(deviceFile)}, calibration: ${JSON.stringify(join(calibrationDir(), 'cartpole.yaml'))}, port: ${JSON.stringify(pair.hostPath)} }`,
    ]);
    const boardArgs = ['device', 'serial', '--port', pair.devicePath, '--start-state', 'mean'];
    let board = new MbrlProcess([...boardArgs, '--seed', '3']);
    const run = new MbrlProcess([
      'run',
      '--config',
      config,
      '--log-dir',
      logDir,
      '--json',
      '--status-every',
      '0.1',
    ]);
    const before = await run.waitForStatus((s) => s.transitions >= 50, '50 transitions with the board up');

    const killedAt = Date.now() / 1000;
    assert.equal((await board.kill('SIGKILL')).signal, 'SIGKILL');
    // Without sensor frames the controller falls back to the safe action, tick after tick.
    const gap = await run.waitForStatus(
      (s) => s.safeTicks >= before.safeTicks + 40,
      '40 more safe ticks with the board dead',
    );
    const framesWhileDead = gap.drivers[0].framesOk;
    const restartedAt = Date.now() / 1000;
    board = new MbrlProcess([...boardArgs, '--seed', '4']);
    // The driver picks the board's frames up again and the controller acts on them.
    const resumed = await run.waitForStatus(
      (s) => s.drivers[0].framesOk > framesWhileDead + 20,
      'sensor frames after the board restarted',
    );
    assert.ok(run.running, 'the run survived the board');
    const safeAfter = resumed.safeTicks;
    await run.waitForStatus((s) => s.ticks >= resumed.ticks + 50, '50 more ticks');
    assert.equal(run.lastStatus()?.safeTicks, safeAfter, 'no safe ticks once the board is back');
    const stopped = await run.stop();
    assert.equal(stopped.code, 0, run.stderr);
    await board.stop();

    const { records } = await readTransitionLog(logDir);
    // Transitions stamped while the board was dead (after the stale timeout, with margin for
    // frames still in the pty) are all safe ones: none is logged as a fresh random action.
    const inGap = records.filter((r) => r.stamp > killedAt + STALE_S + 0.4 && r.stamp < restartedAt);
    assert.ok(inGap.length >= 10, `${inGap.length} transitions in the gap`);
    assert.deepEqual([...new Set(inGap.map((r) => r.source))], ['safe']);
    // The frozen last measurement is the state of every gap transition; a transition that acted
    // on it while it still counted as fresh (within the stale timeout) has no real s_{t+1} and
    // must not be in the training data either.
    const frozen = inGap[0].state;
    const actedOnFrozen = records.filter(
      (r) => r.source !== 'safe' && r.state.every((v, i) => v === frozen[i]),
    );
    assert.deepEqual(
      actedOnFrozen.map((r) => `${r.step} ${r.source}`),
      [],
      'no non-safe transition starts from the frozen state',
    );
    // One episode, no duplicates; the only steps missing are the ones the logger reported not
    // logging because they acted on the frozen last measurement (see below).
    const reported = [
      ...run.stderr.matchAll(/(\d+) transitions not logged \(episode \d+ steps (\d+)-(\d+)\)/g),
    ];
    assert.equal(reported.length, 1, `one frozen stretch reported:\n${run.stderr}`);
    const [, count, from, to] = reported[0].map(Number);
    assert.equal(count, to - from + 1);
    const missing = records.flatMap((r, i) =>
      i === 0
        ? []
        : Array.from({ length: r.step - records[i - 1].step - 1 }, (_, k) => records[i - 1].step + 1 + k),
    );
    assert.deepEqual(
      missing,
      Array.from({ length: count }, (_, k) => from + k),
    );
    assert.equal(sequenceProblem(records.filter((r) => r.step < from)), undefined);
    assert.equal(sequenceProblem(records.filter((r) => r.step > to)), undefined);
    // Fresh random transitions on both sides of the gap.
    assert.ok(records.some((r) => r.source === 'random' && r.stamp < killedAt));
    assert.ok(records.filter((r) => r.source === 'random' && r.stamp > restartedAt).length >= 40);
  },
);

test('a refit worker killed mid-refit is reported, the serving model stays, and the next refit runs in a new worker', async (t) => {
  // The in-process analogue of killing the trainer: without ROS 2 the trainer is a worker
  // thread of `mbrl run`, not a process, so the kill is worker.terminate() during training.
  const dir = mkdtempSync(join(tmpdir(), 'fault-kill-trainer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const loaded = loadTask('cartpole-swingup');
  const task = loaded.task;
  await writeRandomEpisodes(loaded, join(dir, 'logs'), 2, 150);
  const model = ModelSchema.parse({ members: 2, elites: 2, hidden_layers: 1, hidden_units: 16 });
  const modelsDir = join(dir, 'models');
  const logged: MemoryLogEntry[] = [];
  const bus = new InProcessBus({ loggerFactory: (n) => new MemoryLogger(n, logged) });
  const workers: Worker[] = [];
  let killNext = false;
  const trainer = new TrainerNode(bus.createNode('trainer'), {
    spec: ensembleSpecForTask(task, model),
    hyper: {
      epochs: 30,
      batchSize: 32,
      learningRate: 1e-3,
      weightDecay: 0,
      patience: 30,
      improvementThreshold: 0.01,
      bootstrap: true,
    },
    elites: 2,
    holdoutRatio: 0.1,
    seed: 1,
    modelsDir,
    warmStart: true,
    // Whether a refit beats the serving model is not the question here; that it runs to an
    // outcome is. A wide tolerance makes the last refit's acceptance deterministic.
    tolerance: 10,
    data: { kind: 'log', dir: join(dir, 'logs') },
    onRefitWorker: (worker) => workers.push(worker),
  });
  t.after(async () => {
    await trainer.close();
    await bus.shutdown();
  });
  const outcomes: TrainerOutcome[] = [];
  trainer.on('outcome', (o) => outcomes.push(o));
  // Kill on the first epoch reported: the worker is training (weights in memory, nothing saved).
  trainer.on('progress', () => {
    if (killNext) {
      killNext = false;
      void workers.at(-1)?.terminate();
    }
  });
  const updates: string[] = [];
  bus
    .createNode('probe')
    .createSubscription('std_msgs/msg/String', 'model_update', (m) => updates.push(m.data), {
      qos: 'latched',
    });

  trainer.request();
  await trainer.idle();
  assert.equal(trainer.version, 1, `first refit: ${JSON.stringify(outcomes)}`);

  killNext = true;
  trainer.request();
  await trainer.idle();
  assert.equal(killNext, false, 'the kill happened during training');
  const crash = outcomes.at(-1)!;
  assert.equal(crash.accepted, false);
  assert.match(crash.reason ?? '', /refit worker died \(exit code 1\)/);
  assert.equal(trainer.stats.crashed, 1);
  assert.ok(
    logged.some(
      (e) =>
        e.name === 'trainer' && e.level === 'warn' && /refit not used: refit worker died/.test(e.message),
    ),
    'the trainer warned about it',
  );
  assert.equal(trainer.version, 1, 'the serving model stays');
  assert.deepEqual(
    listVersions(modelsDir).map((v) => v.version),
    [1],
  );
  assert.equal(updates.length, 1, 'nothing announced for the killed refit');

  trainer.request();
  await trainer.idle();
  assert.equal(workers.length, 3);
  assert.notEqual(workers[2].threadId, workers[1].threadId, 'a new worker');
  const next = outcomes.at(-1)!;
  assert.equal(next.accepted, true, `the next refit: ${JSON.stringify(next)}`);
  assert.equal(trainer.version, 2);
  assert.equal(JSON.parse(updates.at(-1)!).version, 2);
  assert.deepEqual(
    listVersions(modelsDir).map((v) => v.version),
    [1, 2],
  );
});

/** Real data for the trainer: random actions on the MuJoCo cart-pole, logged to MCAP. */
async function writeRandomEpisodes(loaded: LoadedTask, logDir: string, episodes: number, steps: number) {
  const env = await TaskEnvironment.create(loaded);
  const writer = await TransitionLogWriter.open({
    dir: logDir,
    task: { name: loaded.task.name, stateNames: env.stateNames, actionNames: env.actionNames },
    flushIntervalS: 1,
    rotateBytes: 1 << 20,
  });
  const rng = new Rng(7);
  try {
    for (let episode = 0; episode < episodes; episode++) {
      let state = env.reset(rng);
      for (let step = 0; step < steps; step++) {
        const result = env.step([rng.uniformIn(-1, 1)]);
        const nextState = Float64Array.from(result.state);
        writer.append({
          stamp: (episode * steps + step) * env.dt,
          episode,
          step,
          state,
          action: result.action,
          nextState,
          reward: result.reward,
          done: step === steps - 1,
          source: 'random',
          modelVersion: 0,
        });
        state = nextState;
      }
    }
    await writer.close();
  } finally {
    env.dispose();
  }
}
