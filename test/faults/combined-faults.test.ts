/**
 * Fault injection: faults in combination. The other files of this suite inject one fault at a
 * time; a robot in the field meets them together (a pulled cable while the log's disk is full,
 * a broker reboot while the disk fills and frees). Each scenario runs the whole robot stack
 * as `mbrl run` composes it (controller, data logger writing MCAP, a hardware driver) against a
 * virtual board behind a real transport, logging to a small tmpfs that is filled while the link
 * is down, and checks what each part promises on its own still holds together:
 *
 * - the controller sends the safe action exactly while its state is stale and acts again once
 *   the link is back, whatever the disk does;
 * - the logger reports the disk failure and never slows the control loop;
 * - the driver reports the outage and the reconnect;
 * - afterwards the log holds exactly what the controller did: every transition appended is
 *   written once (or, past the queue bound, counted as dropped), in order, the stale gap holds
 *   only safe transitions, the last state before the outage is never logged as fresh, and
 *   nothing made durable before the faults is lost or rewritten.
 *
 * Needs root for the tmpfs (CI and this machine run as root) and socat for the serial pty pair;
 * both skip with the reason printed, or fail with MBRL_REQUIRE_HARDWARE_TESTS=1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { loadDeviceConfig } from '../../src/config/device-loader.js';
import type { MqttDevice } from '../../src/config/device-schema.js';
import { packageRoot } from '../../src/config/package-paths.js';
import { loadRobotConfig } from '../../src/config/robot-loader.js';
import { loadTask } from '../../src/config/task-loader.js';
import { readTransitionLog, type TransitionLog } from '../../src/datalog/transition-log-reader.js';
import type { LoggedTransition } from '../../src/datalog/transition-record.js';
import { Calibration } from '../../src/hardware/calibration/calibration.js';
import { DeviceMapping } from '../../src/hardware/device-mapping.js';
import { startTestBroker } from '../../src/hardware/testing/mqtt-test-broker.js';
import { SocatPtyPair, serialTestSkipReason } from '../../src/hardware/testing/socat-pty-pair.js';
import { waitFor } from '../../src/hardware/testing/wait-for.js';
import type { DriverStats } from '../../src/nodes/drivers/driver-diagnostics.js';
import { RobotStack, type RobotRunSummary } from '../../src/robot/robot-stack.js';
import { setLogSink, type LogRecord } from '../../src/runtime/logger.js';
import { DiagnosticLevel } from '../../src/runtime/messages.js';
import { fillDisk, writeRobotConfig } from '../../src/testing/fault-harness.js';
import {
  RobotStackProbe,
  STALE_REASON,
  logOrderProblem,
  stepSkips,
  testCleanups,
  tmpfsForTest,
  type ObservedTick,
} from '../../src/testing/robot-stack-fault-probe.js';
import {
  SHIPPED_CARTPOLE_CALIBRATION,
  SHIPPED_CARTPOLE_DEVICE,
  shippedCartpoleSerialBoard,
} from '../../src/virtual-devices/testing/shipped-cartpole-serial-board.js';
import { VirtualMqttDevice } from '../../src/virtual-devices/virtual-mqtt-device.js';

const serialSkip = serialTestSkipReason();
if (serialSkip) console.log(`# skipped: ${serialSkip}`);

const RATE_HZ = 25;
// The shipped default: a tick's state may be five periods old. Enough that a loaded CI machine
// rarely trips it outside the outage (the checks below tolerate it when it does).
const STALE_S = 0.2;
const FLUSH_S = 0.2;
/** Room for a couple of hundred transitions (~400 bytes each) before the disk is filled. */
const TMPFS_BYTES = 256 * 1024;
const TASK = loadTask('cartpole-swingup');
const MQTT_DEVICE = join(packageRoot(), 'hardware/devices/cartpole-mqtt.yaml');

/** Log lines of every node, kept for assertions (one test file per process under node --test). */
const logged: LogRecord[] = [];
setLogSink((record) => logged.push(record));

function logLines(level: LogRecord['level'], node: string, pattern: RegExp): string[] {
  return logged
    .filter((r) => r.level === level && r.name.endsWith(node) && pattern.test(r.message))
    .map((r) => r.message);
}

/** The running stack and what a scenario reads off it. */
interface Rig {
  stack: RobotStack;
  probe: RobotStackProbe;
  driver: () => Readonly<DriverStats>;
  /** The MCAP writer's health as the data logger sees it. */
  health: () => NonNullable<RobotStack['logger']['sinkHealth']>;
  acting: () => boolean;
  stale: () => boolean;
}

/**
 * A random-exploring cart-pole (as hardware/robots/cartpole-serial.yaml, at 25 Hz) whose log is
 * on `logDir`, built from a robot config file as `mbrl run` builds it.
 */
async function startStack(
  onCleanup: (cleanup: () => unknown) => void,
  logDir: string,
  driver: string,
  loggerExtra = '',
): Promise<Rig> {
  const configDir = mkdtempSync(join(tmpdir(), 'fault-combined-config-'));
  const file = writeRobotConfig(configDir, 'robot.yaml', [
    'robot: cartpole',
    'task: cartpole-swingup',
    `control: { rate_hz: ${RATE_HZ}, stale_timeout_s: ${STALE_S}, clock: wall, safe_action: zero }`,
    'controller: { type: random, seed: 5, smoothing: 0.8 }',
    `logger: { dir: ${JSON.stringify(logDir)}, flush_interval_s: ${FLUSH_S}${loggerExtra} }`,
    'drivers:',
    `  - ${driver}`,
  ]);
  const config = loadRobotConfig(file);
  rmSync(configDir, { recursive: true, force: true });
  const stack = await RobotStack.create({ config, task: TASK, purpose: 'run', seed: 7 });
  onCleanup(() => stack.stop().catch(() => undefined));
  const probe = new RobotStackProbe(stack.bus);
  return {
    stack,
    probe,
    driver: () => {
      const stats = stack.drivers[0].stats();
      assert.ok(stats, 'a hardware driver');
      return stats;
    },
    health: () => {
      const health = stack.logger.sinkHealth;
      assert.ok(health, 'the MCAP writer reports its health');
      return health;
    },
    acting: () => stack.controller.lastTick.source === 'random',
    stale: () => STALE_REASON.test(stack.controller.lastTick.safeReason ?? ''),
  };
}

function errorCode(error: Error | undefined): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Control ticks served over a stretch of wall time, against the periods it holds. The loop is
 * on its period grid (a period it could not serve is skipped, not served late), so a control
 * loop blocked by the disk or by reopening the link would serve a fraction of them; half is the
 * margin for a loaded 2-core machine.
 */
function rateMeter(rig: Rig): () => void {
  const ticks0 = rig.stack.controller.stats.ticks;
  const started = performance.now();
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const served = rig.stack.controller.stats.ticks - ticks0;
    const expected = seconds * RATE_HZ;
    assert.ok(
      served >= 0.5 * expected,
      `the control loop served ${served} ticks in ${seconds.toFixed(2)} s (${expected.toFixed(0)} periods)`,
    );
  };
}

/** The stale run of ticks the outage caused, from the first stale tick at or after `fromStep`. */
interface StaleGap {
  /** First step of the run (possibly before `fromStep` if the state was already stale then). */
  from: number;
  /** First step after the run (the first tick with fresh state again). */
  to: number;
}

function staleGap(probe: RobotStackProbe, fromStep: number): StaleGap {
  const isStale = (t: ObservedTick) => t.source === 'safe' && STALE_REASON.test(t.safeReason);
  const first = probe.firstAfter(fromStep - 1, isStale);
  assert.ok(first, `a stale tick at or after step ${fromStep}`);
  let from = first.step;
  for (let t = probe.tick(from - 1); t !== undefined && isStale(t); t = probe.tick(from - 1)) from--;
  const end = probe.firstAfter(first.step, (t) => !isStale(t));
  assert.ok(end, `a tick with fresh state after step ${first.step}`);
  return { from, to: end.step };
}

/** The first mismatch between a logged transition and the ticks it was made of, or undefined. */
function logVsTicksProblem(records: readonly LoggedTransition[], probe: RobotStackProbe): string | undefined {
  for (const r of records) {
    const tick = probe.tick(r.step);
    const next = probe.tick(r.step + 1);
    if (!tick || !next) return `step ${r.step}: logged, but the controller published no such tick pair`;
    if (r.stamp !== tick.time) return `step ${r.step}: stamp ${r.stamp}, tick at ${tick.time}`;
    if (r.source !== tick.source) return `step ${r.step}: source ${r.source}, tick's ${tick.source}`;
    if (!isDeepStrictEqual(Array.from(r.state), tick.state)) return `step ${r.step}: state differs`;
    if (!isDeepStrictEqual(Array.from(r.action), tick.action)) return `step ${r.step}: action differs`;
    if (!isDeepStrictEqual(Array.from(r.nextState), next.state)) return `step ${r.step}: next state differs`;
  }
  return undefined;
}

/**
 * The log checks both scenarios share. `before` is the log as read before the faults; the log
 * as a whole must match the controller's ticks, and around the outage:
 * - the ticks of the stale gap were all the safe action (zero), and what the log holds of the
 *   gap is those safe transitions and nothing else;
 * - the transitions that repeated the last state before the gap (the controller kept acting
 *   on it until it went stale) were dropped, not logged as fresh: a stretch of steps ends right
 *   at the gap, and no non-safe transition near the outage claims s_{t+1} = s_t;
 * - the skipped steps are exactly those the data logger counted (stale repeats) plus the
 *   writer's drops, so nothing else went missing.
 */
function checkLog(
  log: TransitionLog,
  before: TransitionLog,
  rig: Rig,
  summary: RobotRunSummary,
  outage: { fromStep: number; gap: StaleGap },
): void {
  const { records } = log;
  const { probe } = rig;
  const { gap } = outage;
  assert.equal(logOrderProblem(records), undefined, 'one episode, each step at most once, in order');
  assert.equal(records.length + summary.log.dropped, summary.transitions, 'every transition written once');
  assert.equal(logVsTicksProblem(records, probe), undefined, 'the log holds what the controller did');
  // Nothing made durable before the faults was lost or rewritten by the writes that failed.
  assert.ok(before.records.length >= 20, `${before.records.length} transitions on disk before the faults`);
  assert.deepEqual(records.slice(0, before.records.length), before.records, 'the pre-fault log is intact');

  const gapTicks = probe.steps(gap.from, gap.to);
  assert.equal(gapTicks.length, gap.to - gap.from, 'every tick of the gap published');
  assert.ok(gapTicks.length >= RATE_HZ, `a stale gap of ${gapTicks.length} ticks (at least a second)`);
  assert.ok(
    gapTicks.every((t) => t.source === 'safe' && t.action.every((a) => a === 0)),
    'the safe action (zero) throughout the stale gap',
  );
  const inGap = records.filter((r) => r.step >= gap.from && r.step < gap.to);
  assert.deepEqual(
    inGap.filter((r) => r.source !== 'safe').map((r) => `${r.step}: ${r.source}`),
    [],
    'no non-safe transition in the stale gap',
  );
  const resumed = probe.tick(gap.to);
  assert.ok(
    resumed && resumed.source === 'random',
    `acting on fresh state after the gap (${resumed?.source})`,
  );

  const skips = stepSkips(records);
  const skipped = skips.reduce((n, s) => n + s.count, 0);
  const stats = rig.stack.logger.stats;
  assert.equal(stats.gaps, 0, 'no tick missing on the bus');
  assert.equal(
    skipped,
    stats.frozenTransitions + summary.log.dropped,
    `skipped steps ${JSON.stringify(skips)}: ${stats.frozenTransitions} stale repeats, ${summary.log.dropped} dropped`,
  );
  assert.ok(
    skips.some((s) => s.from + s.count === gap.from && s.from >= outage.fromStep - 1),
    `the repeats of the last state before step ${gap.from} are skipped: ${JSON.stringify(skips)}`,
  );
  const repeatsLoggedFresh = records.filter(
    (r) =>
      r.step >= outage.fromStep - 1 &&
      r.step < gap.to &&
      r.source !== 'safe' &&
      isDeepStrictEqual(Array.from(r.state), Array.from(r.nextState)),
  );
  assert.deepEqual(
    repeatsLoggedFresh.map((r) => r.step),
    [],
    'no transition near the outage logs a stale state as fresh',
  );
}

test(
  'serial unplugged while the log disk is full; link back first, disk later: safe action only in the stale gap, every transition written once after both recover',
  { skip: serialSkip },
  async (t) => {
    const onCleanup = testCleanups(t);
    const fs = tmpfsForTest(t, onCleanup, 'combined-serial', TMPFS_BYTES);
    if (!fs) return;
    const pair = await SocatPtyPair.create();
    onCleanup(() => pair.close());
    const board = await shippedCartpoleSerialBoard({ port: pair.devicePath, seed: 3 });
    onCleanup(() => board.close());
    const rig = await startStack(
      onCleanup,
      fs.dir,
      `{ type: serial, device: ${JSON.stringify(SHIPPED_CARTPOLE_DEVICE)}, calibration: ${JSON.stringify(SHIPPED_CARTPOLE_CALIBRATION)}, port: ${JSON.stringify(pair.hostPath)} }`,
    );
    const { stack, probe } = rig;
    const { controller, logger } = stack;
    board.start();
    stack.start();
    await waitFor(() => rig.acting() && rig.health().durable >= 30, 'the loop to close and log', 30_000);
    const before = await readTransitionLog(fs.dir);

    // Fault 1: the log's disk fills up.
    const meter = rateMeter(rig);
    const filler = fillDisk(fs.dir);
    await waitFor(() => rig.health().failing, 'the log writer to hit ENOSPC', 20_000);
    assert.equal(errorCode(rig.health().lastError), 'ENOSPC');

    // Fault 2, on top: the serial cable is pulled.
    const fromStep = probe.lastStep + 1;
    const reconnects0 = rig.driver().reconnects;
    await pair.unplug();
    await waitFor(() => rig.stale(), 'the controller to go safe on stale state', 10_000);
    await waitFor(() => !rig.driver().connected, 'the driver to report disconnected', 10_000);
    const staleAt = controller.stats.ticks;
    const transitionsAtStale = logger.stats.transitions;
    // A second of both faults at once.
    await waitFor(() => controller.stats.ticks >= staleAt + RATE_HZ, 'a second of both faults', 20_000);
    await waitFor(
      () =>
        probe.driverStatuses.at(-1)?.level === DiagnosticLevel.ERROR &&
        /^disconnected/.test(probe.driverStatuses.at(-1)?.message ?? ''),
      'an ERROR "disconnected" diagnostic from the driver',
    );
    await waitFor(
      () => probe.logStatuses.at(-1)?.level === DiagnosticLevel.ERROR,
      'an ERROR diagnostic from the logger',
    );
    assert.match(probe.logStatuses.at(-1)?.message ?? '', /^writes failing: .*ENOSPC/);
    assert.ok(rig.stale(), 'still stale');
    let health = rig.health();
    assert.ok(health.failing && errorCode(health.lastError) === 'ENOSPC', 'the disk is still full');
    assert.equal(health.dropped, 0);
    assert.ok(health.queued >= RATE_HZ, `${health.queued} transitions wait in memory`);
    // The stale gap's safe transitions keep being taken (and queued) on the full disk.
    assert.ok(
      logger.stats.transitions >= transitionsAtStale + RATE_HZ - 2,
      'the logger keeps taking transitions',
    );
    assert.ok(
      logLines('warn', 'data_logger', /writes failing/).some(
        (m) => m.includes(fs.dir) && m.includes('ENOSPC'),
      ),
      'the logger warned about the full disk, naming the directory',
    );

    // The link comes back first; the disk is still full.
    await pair.plug();
    await waitFor(
      () => rig.driver().connected && rig.driver().reconnects > reconnects0,
      'the driver to reconnect',
      20_000,
    );
    await waitFor(() => rig.acting(), 'the controller to act on its policy again', 20_000);
    const actingAt = controller.stats.ticks;
    await waitFor(
      () => controller.stats.ticks >= actingAt + RATE_HZ,
      'a second of control on a full disk',
      20_000,
    );
    health = rig.health();
    assert.ok(health.failing && errorCode(health.lastError) === 'ENOSPC', 'the disk is still full');
    assert.equal(health.dropped, 0);
    meter();

    // Then the disk: the backlog (before, during and after the outage) is written.
    rmSync(filler);
    await waitFor(() => !rig.health().failing && rig.health().queued === 0, 'the backlog written', 20_000);
    await waitFor(
      () => probe.logStatuses.at(-1)?.level === DiagnosticLevel.OK,
      'logger diagnostics back to OK',
    );
    assert.ok(logLines('info', 'data_logger', /writing again/).some((m) => m.includes(fs.dir)));
    // Every safe tick of the run was the outage's (or a stale state on a loaded machine, or
    // the start before the first frame): a full disk never made the controller fall back.
    const otherSafe = probe.ticks.filter(
      (tk) => tk.source === 'safe' && tk.hasState && !STALE_REASON.test(tk.safeReason),
    );
    assert.deepEqual(
      otherSafe.map((tk) => `${tk.step}: ${tk.safeReason}`),
      [],
      'safe ticks for another reason',
    );
    const driver = rig.driver();
    assert.ok(driver.badFrames <= 1, `bad frames ${driver.badFrames} (a partial frame at most)`);

    const gap = staleGap(probe, fromStep);
    const summary = await stack.stop();
    assert.equal(summary.log.dropped, 0);
    assert.equal(summary.log.failing, false);
    const log = await readTransitionLog(fs.dir);
    checkLog(log, before, rig, summary, { fromStep, gap });
    // Nothing was dropped, so the gap is logged whole: one safe transition per stale tick.
    assert.equal(log.records.filter((r) => r.step >= gap.from && r.step < gap.to).length, gap.to - gap.from);
    t.diagnostic(
      `${log.records.length} transitions; stale gap steps ${gap.from}-${gap.to - 1}; ${logger.stats.frozenTransitions} stale repeats not logged; driver reconnects ${driver.reconnects}, connect attempts ${driver.connectAttempts}`,
    );
  },
);

test('MQTT broker down, then the log disk fills past the queue bound and frees while the broker is still down: drops counted, only safe transitions of the gap lost, control resumes', async (t) => {
  const onCleanup = testCleanups(t);
  const fs = tmpfsForTest(t, onCleanup, 'combined-mqtt', TMPFS_BYTES);
  if (!fs) return;
  const broker = await startTestBroker({ log: (m) => t.diagnostic(m) });
  onCleanup(() => broker.stop());
  const device = loadDeviceConfig(MQTT_DEVICE) as MqttDevice;
  const board = await VirtualMqttDevice.create({
    device,
    mapping: DeviceMapping.create({
      device,
      calibration: Calibration.load(SHIPPED_CARTPOLE_CALIBRATION),
      deviceFile: MQTT_DEVICE,
      task: TASK.task,
    }),
    task: TASK,
    brokerUrl: broker.url,
    seed: 3,
    deviceFile: MQTT_DEVICE,
  });
  onCleanup(() => board.close());
  // A small queue bound (the default holds over an hour): the double outage overflows it.
  const BOUND = 40;
  const rig = await startStack(
    onCleanup,
    fs.dir,
    `{ type: mqtt, device: ${JSON.stringify(MQTT_DEVICE)}, calibration: ${JSON.stringify(SHIPPED_CARTPOLE_CALIBRATION)}, broker_url: ${JSON.stringify(broker.url)} }`,
    `, max_queued_records: ${BOUND}`,
  );
  const { stack, probe } = rig;
  const { controller, logger } = stack;
  board.start();
  stack.start();
  await waitFor(() => rig.acting() && rig.health().durable >= 30, 'the loop to close and log', 30_000);
  const before = await readTransitionLog(fs.dir);

  const fromStep = probe.lastStep + 1;
  const reconnects0 = rig.driver().reconnects;
  const meter = rateMeter(rig);
  let droppedInOutage = 0;
  await broker.restart(async () => {
    // Fault 1: the broker is gone.
    await waitFor(() => rig.stale(), 'the controller to go safe on stale state', 10_000);
    await waitFor(() => !rig.driver().connected, 'the driver to report disconnected', 10_000);
    // The gap's first safe transitions reach the disk before it fills, so what the full queue
    // drops below is told apart from the stale repeats dropped at the start of the gap.
    const target = logger.stats.transitions + 5;
    await waitFor(() => rig.health().durable >= target, 'the gap start written', 10_000);

    // Fault 2, on top: the disk fills, and stays full past the queue bound.
    const filler = fillDisk(fs.dir);
    await waitFor(() => rig.health().failing, 'the log writer to hit ENOSPC', 20_000);
    await waitFor(() => rig.health().dropped >= 20, '20 transitions dropped past the bound', 20_000);
    await waitFor(
      () => logLines('warn', 'data_logger', /transitions dropped .*; \d+ in all/).length > 0,
      'a warning about the drop',
    );
    await waitFor(
      () => probe.logStatuses.some((s) => Number(s.values.find((v) => v.key === 'dropped')?.value) > 0),
      'the drop in diagnostics',
    );
    assert.equal(errorCode(rig.health().lastError), 'ENOSPC');
    assert.ok(rig.stale() && !rig.driver().connected, 'the broker is still down');

    // The disk frees first, the broker still down: the backlog is written, and the gap's
    // safe transitions are then written as they come.
    rmSync(filler);
    await waitFor(() => !rig.health().failing && rig.health().queued === 0, 'the backlog written', 20_000);
    droppedInOutage = rig.health().dropped;
    const durable = rig.health().durable;
    await waitFor(() => rig.health().durable >= durable + 10, 'safe transitions written live', 10_000);
    assert.ok(rig.stale() && !rig.driver().connected, 'the broker is still down');
  });

  // Then the broker comes back.
  await waitFor(
    () => rig.driver().connected && rig.driver().reconnects > reconnects0,
    'the driver to reconnect',
    20_000,
  );
  await waitFor(() => board.connected, 'the board to reconnect', 20_000);
  await waitFor(() => rig.acting(), 'the controller to act on its policy again', 20_000);
  const actingAt = controller.stats.ticks;
  await waitFor(() => controller.stats.ticks >= actingAt + 10, 'ten more ticks', 20_000);
  meter();
  const otherSafe = probe.ticks.filter(
    (tk) => tk.source === 'safe' && tk.hasState && !STALE_REASON.test(tk.safeReason),
  );
  assert.deepEqual(
    otherSafe.map((tk) => `${tk.step}: ${tk.safeReason}`),
    [],
    'safe ticks for another reason',
  );

  const gap = staleGap(probe, fromStep);
  const summary = await stack.stop();
  assert.equal(summary.log.dropped, droppedInOutage, 'nothing dropped after the disk freed');
  assert.equal(summary.log.failing, false);
  const log = await readTransitionLog(fs.dir);
  checkLog(log, before, rig, summary, { fromStep, gap });
  // The drops are one stretch of the oldest waiting, all of them safe transitions of the gap
  // (the queue overflowed while the state was stale), and counted.
  const dropped = stepSkips(log.records).filter((s) => s.from >= gap.from && s.from < gap.to);
  assert.deepEqual(
    dropped.map((s) => s.count),
    [summary.log.dropped],
    `skips in the gap ${JSON.stringify(dropped)}`,
  );
  assert.ok(dropped[0].from + dropped[0].count <= gap.to, 'the dropped stretch lies inside the stale gap');
  t.diagnostic(
    `${log.records.length} transitions, ${summary.log.dropped} dropped; stale gap steps ${gap.from}-${gap.to - 1}; ${logger.stats.frozenTransitions} stale repeats not logged; driver reconnects ${rig.driver().reconnects}`,
  );
});
