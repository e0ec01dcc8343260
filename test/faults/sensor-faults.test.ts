/**
 * Sensor faults on the wire between a real driver (the embedded MuJoCo pendulum in real time)
 * and a real PETS controller (AsyncMpcPolicy over the planner worker, simulator as its model):
 * dropouts, delayed and reordered messages, NaN bursts and a frozen sensor. Each must give the
 * safe action (zero, checked on the command topic) with the right reason while it lasts, and
 * the controller must hand the ticks back to MPC once the data is good again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timeToSeconds } from '../../src/runtime/time.js';
import {
  commandsMatchTicks,
  ControlRig,
  LogCapture,
  mostly,
  STALE,
  type SensorFault,
  type TickProbe,
  type TickRecord,
} from '../../src/testing/control-fault-rig.js';

type Tick = TickRecord<TickProbe>;

// A 20 Hz loop whose stale timeout is two periods; frozen after half a second unchanged.
const CONTROL = { rate_hz: 20, stale_timeout_s: 0.1, frozen_timeout_s: 0.5, safe_action: 'zero' };
// Tick times are wall seconds since 1970 (a float64 ulp there is ~0.2 us): "just before a tick".
const EPS = 1e-6;

/**
 * The controller handed the tick to the policy: MPC acted, or was asked and had no fresh plan
 * (on a loaded machine the low-priority planner thread can lag; that is the planner's matter).
 */
function consulted(r: Tick): boolean {
  return r.source === 'mpc' || r.safeReason.startsWith('mpc ');
}

async function withRig(run: (rig: ControlRig, logs: LogCapture) => Promise<void>): Promise<void> {
  const logs = new LogCapture();
  const rig = await ControlRig.start({ task: 'pendulum-swingup', control: CONTROL });
  try {
    await mpcActs(rig, -Infinity, 'MPC acting on fresh state');
    await run(rig, logs);
    assert.ok(commandsMatchTicks(rig.ticks.records), 'every tick published its finite action as the command');
  } finally {
    await rig.stop();
    logs.restore();
  }
}

/** MPC acting; generous, since the planner thread yields to everything else on the machine. */
async function mpcActs(rig: ControlRig, after: number, what: string): Promise<void> {
  await rig.ticks.count((r) => r.source === 'mpc', 3, what, after, 30_000);
}

/**
 * Applies `fault` until `ticks` ticks after the first one matching `safe`, then removes it and
 * waits for the first tick handed to the policy again.
 */
async function injectUntilSafe(
  rig: ControlRig,
  fault: SensorFault,
  safe: (r: Tick) => boolean,
  what: string,
  ticks = 8,
) {
  const start = rig.relay.set(fault);
  const first = await rig.ticks.next(safe, what, start);
  // The newest intact message when the fault showed (for a dropout: the last one before it).
  const lastFresh = rig.relay.lastFresh;
  await rig.ticks.count(() => true, ticks, `${ticks} ticks under the fault`, first.time);
  const end = rig.relay.set({ kind: 'none' });
  const back = await rig.ticks.next(consulted, `the policy consulted again after: ${what}`, end);
  const during = rig.ticks.between(first.time - EPS, end);
  return { start, first, during, back, lastFresh };
}

function assertSafe(during: Tick[], reason: RegExp | string, what: string): void {
  assert.ok(during.length >= 8, `${what}: ${during.length} ticks`);
  for (const r of during) {
    assert.equal(r.source, 'safe', `${what}: tick at ${r.time} acted (${r.safeReason})`);
    assert.deepEqual(r.command, [0], `${what}: the zero command went out`);
  }
  mostly(
    during,
    (r) => (typeof reason === 'string' ? r.safeReason === reason : reason.test(r.safeReason)),
    what,
  );
}

test('a dropout longer than the stale timeout gives the safe action; MPC resumes when data returns', async () => {
  await withRig(async (rig) => {
    const { first, during, back, lastFresh } = await injectUntilSafe(
      rig,
      { kind: 'drop' },
      (r) => STALE.test(r.safeReason),
      'the stale-state fallback',
    );
    assert.ok(lastFresh);
    // Stale means older than the timeout by the header stamp, not "a message was missed".
    assert.ok(first.time - timeToSeconds(lastFresh.header.stamp) > CONTROL.stale_timeout_s);
    assertSafe(during, STALE, 'dropout');
    assert.ok(rig.relay.dropped > 0);
    // The planner got no states during the dropout, so the first tick back waits for a plan
    // from the new state: not ready, not a planner failure.
    assert.match(back.safeReason, /^mpc not ready: waiting for a plan from the current state/);
    await mpcActs(rig, back.time - EPS, 'MPC acting again');
  });
});

test('a NaN burst (positions, then velocities) gives the safe action until good data returns', async () => {
  await withRig(async (rig, logs) => {
    for (const quantity of ['position', 'velocity'] as const) {
      const rejected = rig.controller.stats.rejectedStates;
      const { during, back } = await injectUntilSafe(
        rig,
        { kind: 'nan', quantity },
        (r) => r.safeReason === 'invalid state',
        `the invalid-state fallback (${quantity} NaN)`,
      );
      assertSafe(during, 'invalid state', `NaN ${quantity}`);
      assert.ok(during.every((r) => !r.hasState));
      assert.ok(rig.controller.stats.rejectedStates - rejected >= during.length);
      const warned = new RegExp(`rejected joint state: joint "hinge" ${quantity} is NaN`);
      assert.ok(logs.problems(warned).length > 0);
      await mpcActs(rig, back.time - EPS, `MPC after the ${quantity} burst`);
    }
  });
});

test('reordered messages never replace newer state; delayed ones are stale and dropped once superseded', async () => {
  await withRig(async (rig) => {
    // Every fresh message is followed by one from 0.3 s earlier (three stale timeouts old):
    // taken as the newest, it would make the controller act on old state, or go safe as stale.
    const start = rig.relay.set({ kind: 'replay', ageSeconds: 0.3 });
    const last = await rig.ticks.count(() => true, 20, '20 ticks with old messages interleaved', start);
    const end = rig.relay.set({ kind: 'none' });
    const window = rig.ticks.between(start + 0.05, last.time);
    assert.ok(window.length >= 15);
    for (const r of window)
      assert.deepEqual(r.state, r.probe.freshState, `tick at ${r.time} acted on the newest state`);
    mostly(window, consulted, 'reordered');
    const reordered = rig.controller.stats.outOfOrderStates;
    assert.ok(reordered >= 40, `out-of-order messages dropped: ${reordered}`);

    // A link that delays everything by 0.3 s: in order but stale, so safe. When it clears, the
    // backlog arrives after newer messages and must not roll the state back.
    await mpcActs(rig, end, 'MPC before the delay');
    const { during, back } = await injectUntilSafe(
      rig,
      { kind: 'delay', seconds: 0.3 },
      (r) => STALE.test(r.safeReason),
      'the stale fallback under a 0.3 s delay',
    );
    assertSafe(during, STALE, 'delay');
    const backlog = rig.controller.stats.outOfOrderStates - reordered;
    assert.ok(backlog >= 10, `backlog dropped: ${backlog}`);
    const after = await rig.ticks.count(consulted, 5, 'five ticks back on the policy', back.time - EPS);
    for (const r of rig.ticks.between(back.time - EPS, after.time))
      assert.deepEqual(r.state, r.probe.freshState, `tick at ${r.time} acted on the newest state`);
    await mpcActs(rig, back.time - EPS, 'MPC after the delay');
  });
});

test('a frozen sensor (same values, fresh stamps, while driven) gives the safe action until it changes', async () => {
  await withRig(async (rig, logs) => {
    const { start, first, during, back } = await injectUntilSafe(
      rig,
      { kind: 'freeze' },
      (r) => r.safeReason === 'sensor frozen',
      'the frozen-sensor fallback',
      10,
    );
    // Fresh stamps pass every other check: the policy kept acting on the frozen data until the
    // detector's timeout.
    assert.ok(first.time - start >= CONTROL.frozen_timeout_s, `tripped after ${first.time - start} s`);
    const blind = rig.ticks.between(start + 0.1, first.time - EPS);
    assert.ok(blind.length >= 6);
    mostly(blind, consulted, 'frozen data looks fresh to every other check');
    assertSafe(during, 'sensor frozen', 'frozen');
    assert.ok(
      during.every((r) => r.hasState),
      'the frozen state is valid, just not changing',
    );
    assert.equal(rig.controller.stats.frozenTrips, 1);
    assert.equal(logs.problems(/^sensor frozen: every state field bit-identical for 0.5 s/).length, 1);
    await mpcActs(rig, back.time - EPS, 'MPC after the sensor thawed');
    assert.equal(rig.controller.stats.frozenTrips, 1, 'a moving pendulum does not trip it again');
  });
});
