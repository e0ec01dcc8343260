/**
 * Fault injection: the log's disk fills up or is read-only while the robot runs. The robot
 * stack runs in process on the embedded MuJoCo cart-pole in real time, logging to a small
 * tmpfs (root needed to mount it; CI runs as root). Whatever the disk does, the control loop
 * must not notice, the logger must say what is wrong and where, and what was waiting in
 * memory must reach the disk once it works again (or be counted as dropped, beyond the bound).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRobotConfig } from '../../src/config/robot-loader.js';
import type { RobotConfig } from '../../src/config/robot-schema.js';
import { loadTask, type LoadedTask } from '../../src/config/task-loader.js';
import { LOCK_FILE } from '../../src/datalog/log-dir-lock.js';
import { readTransitionLog } from '../../src/datalog/transition-log-reader.js';
import { TransitionLogWriter } from '../../src/datalog/transition-log-writer.js';
import { waitFor } from '../../src/hardware/testing/wait-for.js';
import { ControllerNode } from '../../src/nodes/controller/controller-node.js';
import { DataLoggerNode } from '../../src/nodes/data-logger/data-logger-node.js';
import { RandomPolicy } from '../../src/policies/random-policy.js';
import { createDrivers } from '../../src/robot/device-drivers.js';
import { RobotStack } from '../../src/robot/robot-stack.js';
import { InProcessBus } from '../../src/runtime/in-process-bus.js';
import { setLogSink, type LogRecord } from '../../src/runtime/logger.js';
import { DiagnosticLevel, type DiagnosticStatusMsg } from '../../src/runtime/messages.js';
import type { Transport } from '../../src/runtime/node-api.js';
import {
  SIM_DRIVER,
  fillDisk,
  mountTmpfs,
  sequenceProblem,
  writeRobotConfig,
  type Tmpfs,
} from '../../src/testing/fault-harness.js';

const FLUSH_S = 0.2;

/** Log lines of every node, kept for assertions (one test file per process under node --test). */
const logged: LogRecord[] = [];
setLogSink((record) => logged.push(record));

/**
 * Cleanups run after the test in reverse order of adding (node:test runs `t.after` hooks in
 * order), so the robot stops before its log's tmpfs is unmounted.
 */
function cleanups(t: TestContext): (cleanup: () => unknown) => void {
  const list: (() => unknown)[] = [];
  t.after(async () => {
    for (const cleanup of list.reverse()) await cleanup();
  });
  return (cleanup) => list.push(cleanup);
}

/** A tmpfs for the test, unmounted after it (even when it fails); undefined when skipped. */
function tmpfsFor(
  t: TestContext,
  onCleanup: (cleanup: () => unknown) => void,
  label: string,
  sizeBytes = 256 * 1024,
): Tmpfs | undefined {
  const base = mkdtempSync(join(tmpdir(), `fault-disk-${label}-`));
  const fs = mountTmpfs(base, sizeBytes);
  if (typeof fs === 'string') {
    console.log(`# skipped: ${fs}`);
    t.skip(fs);
    rmSync(base, { recursive: true, force: true });
    return undefined;
  }
  onCleanup(() => {
    fs.unmount();
    rmSync(base, { recursive: true, force: true });
  });
  return fs;
}

/** A random-exploring cart-pole on the embedded simulator, logging to `logDir`. */
function robotConfig(logDir: string): { config: RobotConfig; task: LoadedTask } {
  const dir = mkdtempSync(join(tmpdir(), 'fault-disk-config-'));
  const file = writeRobotConfig(dir, 'robot.yaml', [
    'robot: cartpole',
    'task: cartpole-swingup',
    // Loose, so that only a stall of a whole second (not a loaded CI machine) makes the state
    // stale: a safe tick here would have to come from the disk.
    'control: { rate_hz: 25, stale_timeout_s: 1, clock: wall }',
    'controller: { type: random, seed: 5, smoothing: 0.8 }',
    `logger: { dir: ${JSON.stringify(logDir)}, flush_interval_s: ${FLUSH_S} }`,
    ...SIM_DRIVER,
  ]);
  const config = loadRobotConfig(file);
  rmSync(dir, { recursive: true, force: true });
  return { config, task: loadTask(config.task) };
}

/** The data logger's transition-log diagnostics on `/diagnostics`, as published. */
function logDiagnostics(bus: Transport): DiagnosticStatusMsg[] {
  const seen: DiagnosticStatusMsg[] = [];
  bus
    .createNode('diagnostics_probe')
    .createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', (m) =>
      seen.push(...m.status.filter((s) => s.name === 'data_logger: transition log')),
    );
  return seen;
}

function value(status: DiagnosticStatusMsg, key: string): string | undefined {
  return status.values.find((v) => v.key === key)?.value;
}

function errorCode(error: Error | undefined): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function warningsOf(node: string): string[] {
  return logged.filter((r) => r.name.endsWith(node) && r.level === 'warn').map((r) => r.message);
}

test('disk full under a running robot: the logger reports ENOSPC, control keeps its rate, and every queued transition is written once space returns', async (t) => {
  const onCleanup = cleanups(t);
  const fs = tmpfsFor(t, onCleanup, 'full');
  if (!fs) return;
  const { config, task } = robotConfig(fs.dir);
  const stack = await RobotStack.create({ config, task, purpose: 'run', seed: 3 });
  onCleanup(() => stack.stop().catch(() => undefined));
  const diagnostics = logDiagnostics(stack.bus);
  const { controller, logger } = stack;
  stack.start();
  await waitFor(() => (logger.sinkHealth?.durable ?? 0) >= 25, '25 durable transitions', 20_000);

  const filler = fillDisk(fs.dir);
  await waitFor(() => logger.sinkHealth?.failing === true, 'the log writer to hit ENOSPC', 20_000);
  const failedAt = {
    ticks: controller.stats.ticks,
    safe: controller.stats.safeTicks,
    transitions: logger.stats.transitions,
  };
  // Two seconds of control (50 ticks at 25 Hz) against the full disk.
  await waitFor(() => controller.stats.ticks >= failedAt.ticks + 50, '50 ticks on a full disk', 20_000);
  const health = logger.sinkHealth!;
  assert.equal(health.failing, true, 'still full');
  assert.equal(errorCode(health.lastError), 'ENOSPC');
  assert.ok(health.queued >= 40, `${health.queued} transitions wait in memory`);
  assert.equal(health.dropped, 0);
  assert.equal(controller.stats.safeTicks, failedAt.safe, 'a full disk never makes the controller fall back');
  assert.ok(logger.stats.transitions >= failedAt.transitions + 45, 'the logger keeps taking transitions');
  // Reported where an operator looks: a warning naming the directory and the error, and an
  // ERROR on /diagnostics (sent at 1 Hz; wait for one since the failure began).
  assert.ok(
    warningsOf('data_logger').some(
      (m) => m.includes(`transition log ${fs.dir}: writes failing`) && m.includes('ENOSPC'),
    ),
    `warnings: ${warningsOf('data_logger').join(' | ')}`,
  );
  await waitFor(() => diagnostics.some((d) => d.level === DiagnosticLevel.ERROR), 'an ERROR diagnostic');
  const error = diagnostics.find((d) => d.level === DiagnosticLevel.ERROR)!;
  assert.match(error.message, /writes failing: .*ENOSPC/);
  assert.equal(error.hardware_id, `transition log ${fs.dir}`);

  rmSync(filler);
  await waitFor(
    () => logger.sinkHealth?.failing === false && logger.sinkHealth.queued === 0,
    'the backlog written',
    20_000,
  );
  await waitFor(() => diagnostics.at(-1)?.level === DiagnosticLevel.OK, 'diagnostics back to OK');
  assert.ok(
    logged.some((r) => r.level === 'info' && r.message.includes(`transition log ${fs.dir}: writing again`)),
  );
  assert.equal(controller.stats.safeTicks, failedAt.safe, 'nor does the recovery');
  const summary = await stack.stop();

  const log = await readTransitionLog(fs.dir);
  assert.equal(log.records.length, summary.transitions, 'nothing lost');
  assert.equal(sequenceProblem(log.records), undefined);
});

test('a read-only log directory: the run starts and controls, the logger reports EROFS, and the transitions are written (and the directory locked) once it is writable', async (t) => {
  const onCleanup = cleanups(t);
  const fs = tmpfsFor(t, onCleanup, 'readonly');
  if (!fs) return;
  // Read-only from the start: a tmpfs cannot be remounted read-only while the log writer holds
  // a file open on it (EBUSY), which is also why a disk goes read-only under a running writer
  // only by the kernel's own error handling. Here it comes back read-write mid-run.
  fs.remount('ro');
  const { config, task } = robotConfig(fs.dir);
  const stack = await RobotStack.create({ config, task, purpose: 'run', seed: 4 });
  onCleanup(() => stack.stop().catch(() => undefined));
  const diagnostics = logDiagnostics(stack.bus);
  const { controller, logger } = stack;
  stack.start();
  // Safe ticks before the simulator's first state are the start-up's, not the disk's.
  await waitFor(() => logger.stats.transitions >= 1, 'the first transition', 20_000);
  const safe = controller.stats.safeTicks;
  const ticks = controller.stats.ticks;
  await waitFor(() => controller.stats.ticks >= ticks + 50, '50 ticks', 20_000);
  const health = logger.sinkHealth!;
  assert.equal(health.failing, true);
  assert.equal(errorCode(health.lastError), 'EROFS');
  assert.equal(health.durable, 0);
  assert.equal(controller.stats.safeTicks, safe);
  assert.ok(!existsSync(join(fs.dir, LOCK_FILE)));
  assert.ok(
    warningsOf('data_logger').some(
      (m) => m.includes(`transition log ${fs.dir}: writes failing`) && m.includes('EROFS'),
    ),
    `warnings: ${warningsOf('data_logger').join(' | ')}`,
  );
  await waitFor(() => diagnostics.some((d) => d.level === DiagnosticLevel.ERROR), 'an ERROR diagnostic');

  fs.remount('rw');
  await waitFor(
    () => logger.sinkHealth?.failing === false && logger.sinkHealth.queued === 0,
    'the backlog written',
    20_000,
  );
  // The writer took the lock it could not take at open before writing anything.
  assert.equal(readFileSync(join(fs.dir, LOCK_FILE), 'utf8').split('\n')[0], String(process.pid));
  assert.equal(controller.stats.safeTicks, safe, 'an unwritable disk never makes the controller fall back');
  const summary = await stack.stop();
  const log = await readTransitionLog(fs.dir);
  assert.equal(log.records.length, summary.transitions, 'nothing lost');
  assert.equal(sequenceProblem(log.records), undefined);
  assert.ok(!existsSync(join(fs.dir, LOCK_FILE)), 'released on stop');
});

test('past the queue bound the oldest transitions are dropped, counted and reported; the rest are written', async (t) => {
  const onCleanup = cleanups(t);
  const fs = tmpfsFor(t, onCleanup, 'bound');
  if (!fs) return;
  const { config, task } = robotConfig(fs.dir);
  // The robot stack's parts with a small queue bound (a robot config has no field for it; the
  // writer's default holds 100000 transitions, over an hour at 25 Hz).
  const bus = new InProcessBus();
  const t0 = task.task;
  const drivers = await createDrivers({
    bus,
    config,
    task,
    seed: 5,
    topics: { jointStates: config.topics.joint_states, command: config.topics.command },
  });
  const writer = await TransitionLogWriter.open({
    dir: fs.dir,
    task: {
      name: t0.name,
      stateNames: t0.state.map((s) => s.name),
      actionNames: t0.action.map((a) => a.name),
    },
    flushIntervalS: FLUSH_S,
    rotateBytes: config.logger.rotate_bytes,
    maxQueuedRecords: 30,
  });
  const controller = new ControllerNode(bus.createNode('controller'), {
    task: t0,
    policies: {
      random: new RandomPolicy({
        low: t0.action.map((a) => a.min),
        high: t0.action.map((a) => a.max),
        seed: 5,
        smoothing: 0.8,
      }),
    },
    mode: 'random',
    rateHz: config.control.rate_hz,
    staleTimeoutSeconds: config.control.stale_timeout_s,
    safeAction: config.control.safe_action,
    actionLimits: config.control.limits,
    topics: { jointStates: config.topics.joint_states, command: config.topics.command },
  });
  const logger = new DataLoggerNode(bus.createNode('data_logger'), { task: t0, sink: writer });
  const diagnostics = logDiagnostics(bus);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    controller.destroy();
    logger.destroy();
    await Promise.all(drivers.map((d) => d.close()));
    await writer.close().catch(() => undefined);
    await bus.shutdown();
  };
  onCleanup(stop);
  for (const d of drivers) d.start();
  controller.resetEpisode();
  await waitFor(() => writer.stats.durable >= 25, '25 durable transitions', 20_000);
  const safe = controller.stats.safeTicks;

  const filler = fillDisk(fs.dir);
  await waitFor(() => writer.stats.dropped >= 20, '20 transitions dropped on a full disk', 20_000);
  assert.equal(writer.stats.failing, true);
  assert.equal(controller.stats.safeTicks, safe);
  await waitFor(
    () => warningsOf('data_logger').some((m) => /transitions dropped .*; \d+ in all/.test(m)),
    'a warning about the drop',
  );
  await waitFor(() => diagnostics.some((d) => Number(value(d, 'dropped')) > 0), 'the drop in diagnostics');

  rmSync(filler);
  await waitFor(() => !writer.stats.failing && writer.stats.queued === 0, 'the backlog written', 20_000);
  controller.destroy();
  const appended = logger.stats.transitions;
  const dropped = writer.stats.dropped;
  await stop();

  // Every transition is on disk or counted as dropped, and the dropped ones are one stretch of
  // the oldest queued (the log skips exactly that many steps, once).
  const { records } = await readTransitionLog(fs.dir);
  assert.equal(records.length + dropped, appended);
  const skips = records
    .slice(1)
    .flatMap((r, i) => (r.step === records[i].step + 1 ? [] : [r.step - records[i].step - 1]));
  assert.deepEqual(skips, [dropped]);
});
