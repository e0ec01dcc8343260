/**
 * Planner faults under a real-time PETS controller: a planner worker (the real planning loop,
 * its planning call wrapped by faulty-planner-worker.ts) that throws on every plan, throws in
 * bursts, overruns its budget on every plan, or returns NaN actions. The control loop must keep
 * its rate (ticks counted by the controller's own timing over wall time), and every tick must
 * send either the safe action (zero) or the action the newest plan schedules for that tick (its
 * first action, or a later one shifted by the plan's age), never NaN and never from a plan older
 * than maxPlanAgeSeconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import type { PlannerProfile } from '../../src/planning/planner-profile.js';
import {
  commandsMatchTicks,
  ControlRig,
  LogCapture,
  mostly,
  SIM_PLANNER_PROFILE,
  type TickProbe,
  type TickRecord,
} from '../../src/testing/control-fault-rig.js';
import type { PlannerFault } from '../../src/testing/faulty-planner-worker.js';

type Tick = TickRecord<TickProbe>;

const CONTROL = { rate_hz: 20, stale_timeout_s: 0.1, safe_action: 'zero' };
const PERIOD = 1 / CONTROL.rate_hz;
// As ControllerPart sets it: five control periods, at least 0.2 s.
const MAX_PLAN_AGE = Math.max(0.2, 5 * PERIOD);

async function withFaultyPlanner(
  fault: PlannerFault,
  run: (rig: ControlRig, logs: LogCapture) => Promise<void>,
  profile: PlannerProfile = SIM_PLANNER_PROFILE,
): Promise<void> {
  const logs = new LogCapture();
  const rig = await ControlRig.start({
    task: 'pendulum-swingup',
    control: CONTROL,
    profile,
    plannerScript: {
      url: new URL('../../src/testing/faulty-planner-worker.js', import.meta.url),
      data: { fault },
    },
  });
  try {
    await run(rig, logs);
  } finally {
    await rig.stop();
    logs.restore();
  }
}

/**
 * Lets the loop run for `seconds` and checks it kept its rate, by the controller's own timing:
 * served plus skipped ticks within 20% of the periods that wall time holds (the loop stays on
 * its period grid: a period it could not serve is a counted deadline miss, not a slower loop),
 * and at least 60% of them served: a planner that blocked the loop for its 0.1-0.4 s per plan
 * would serve a third or less; the margin is for a machine busy with other tests.
 */
async function assertRateHolds(rig: ControlRig, seconds: number): Promise<Tick[]> {
  const from = rig.ticks.records.at(-1)?.time ?? -Infinity;
  const { ticks, skipped, deadlineMisses, expected } = await rig.measureRate(seconds);
  const figures = `${ticks} served, ${skipped} skipped, ${deadlineMisses} deadline misses in ${expected.toFixed(1)} periods`;
  assert.ok(Math.abs(ticks + skipped - expected) <= 0.2 * expected, figures);
  assert.ok(ticks >= 0.6 * expected, figures);
  assert.ok(deadlineMisses >= skipped, figures);
  return rig.ticks.between(from);
}

/** Every tick sent the safe action or exactly what a fresh-enough plan scheduled for it. */
function assertActionsSound(ticks: Tick[]): void {
  assert.ok(commandsMatchTicks(ticks), 'every command finite and equal to its tick action');
  for (const r of ticks) {
    if (r.source === 'safe') {
      assert.deepEqual(r.command, [0], `safe tick at ${r.time}: ${r.safeReason}`);
      continue;
    }
    assert.equal(r.source, 'mpc');
    const age = r.probe.planAge ?? Infinity;
    assert.ok(age <= MAX_PLAN_AGE, `tick at ${r.time} used a plan ${age.toFixed(3)} s old`);
    assert.ok(
      isDeepStrictEqual(r.action, r.probe.scheduled),
      `tick at ${r.time} sent ${r.action}, the plan scheduled ${r.probe.scheduled}`,
    );
  }
}

/** Index of the plan step a tick executed: 0 = a fresh plan's first action, > 0 = shifted. */
function planStep(r: Tick): number {
  return Math.floor((r.probe.planAge ?? 0) / PERIOD + 1e-6);
}

const INJECTED = '\\(planner plan failed: injected planner fault\\)';

test('a planner that throws on every plan: the safe action at the control rate, failures reported', async () => {
  await withFaultyPlanner({ kind: 'throw' }, async (rig, logs) => {
    await rig.ticks.count(() => true, 5, 'the loop running');
    const ticks = await assertRateHolds(rig, 3);
    assertActionsSound(ticks);
    assert.ok(
      ticks.every((r) => r.source === 'safe'),
      'never an action from a failing planner',
    );
    // Until the first failure is back from the worker, the policy is merely not ready.
    const failed = new RegExp(`^mpc policy failed: no plan yet ${INJECTED}$`);
    mostly(
      ticks,
      (r) => failed.test(r.safeReason) || r.safeReason === 'mpc not ready: no plan yet',
      'throwing',
    );
    assert.ok(ticks.filter((r) => failed.test(r.safeReason)).length >= ticks.length / 2);
    assert.ok(rig.planner.errors >= 20, `planner errors ${rig.planner.errors}`);
    await rig.ticks.next(() => Number(rig.ticks.diagnostic('planner_errors')) >= 20, 'diagnostics');
    assert.ok(logs.problems(/safe action: mpc policy failed: no plan yet/).length > 0, 'warned');
  });
});

test('a planner that fails in bursts: shifted plans while they are young enough, then the safe action', async () => {
  // 0.6 s without a plan is more than twice the plan age limit: each burst ages the last plan out.
  await withFaultyPlanner({ kind: 'throw-bursts', okMs: 500, failMs: 600 }, async (rig) => {
    await rig.ticks.count((r) => r.source === 'mpc', 5, 'MPC acting', -Infinity, 30_000);
    const ticks = await assertRateHolds(rig, 4.5);
    assertActionsSound(ticks);
    const mpc = ticks.filter((r) => r.source === 'mpc');
    const shifted = mpc.filter((r) => planStep(r) >= 1);
    const stale = new RegExp(`^mpc policy failed: newest plan is \\d+\\.\\d{3} s old ${INJECTED}$`);
    const aged = ticks.filter((r) => stale.test(r.safeReason));
    const summary = `MPC ${mpc.length} (shifted ${shifted.length}), aged out ${aged.length} of ${ticks.length}`;
    assert.ok(mpc.length >= 5 && shifted.length >= 3 && aged.length >= 3, summary);
    // A burst runs the last plan on (its later actions) before giving up on it.
    assert.ok(Math.max(...shifted.map(planStep)) >= 2, summary);
    assert.ok(rig.planner.errors > 0 && rig.planner.plans > 0);
  });
});

test('a planner that overruns every plan: its late plans are executed shifted, never beyond their age limit', async () => {
  // 0.1 s per plan is two control periods over a one-period budget.
  await withFaultyPlanner({ kind: 'overrun', sleepMs: 100 }, async (rig) => {
    await rig.ticks.count((r) => r.source === 'mpc', 5, 'MPC acting', -Infinity, 30_000);
    const plansBefore = rig.planner.plans;
    const ticks = await assertRateHolds(rig, 3);
    assertActionsSound(ticks);
    const mpc = ticks.filter((r) => r.source === 'mpc');
    assert.ok(mpc.length >= 5, `MPC ticks ${mpc.length} of ${ticks.length}`);
    // A plan is at least the overrun old when it arrives: no tick can use its first action.
    assert.ok(
      mpc.every((r) => planStep(r) >= 2),
      `plan steps ${mpc.map(planStep).join(',')}`,
    );
    assert.ok(rig.planner.plans - plansBefore >= 10);
    assert.equal(rig.planner.overruns, rig.planner.plans, 'every plan counted over budget');
    await rig.ticks.next(() => Number(rig.ticks.diagnostic('planner_overruns')) >= 10, 'overruns diagnosed');
  });
});

test('a planner whose plans take longer than the age limit: only the safe action, at the control rate', async () => {
  // A 1.5 s horizon still covers "now" when a plan arrives: only the age limit keeps it out.
  const longHorizon = { ...SIM_PLANNER_PROFILE, horizon: 30 };
  const fault: PlannerFault = { kind: 'overrun', sleepMs: 400 };
  await withFaultyPlanner(
    fault,
    async (rig) => {
      await rig.ticks.next(() => rig.planner.plans >= 2, 'two late plans');
      const ticks = await assertRateHolds(rig, 3);
      assertActionsSound(ticks);
      assert.ok(ticks.every((r) => r.source === 'safe'));
      mostly(ticks, (r) => /^mpc policy failed: newest plan is \d+\.\d{3} s old$/.test(r.safeReason), 'late');
      assert.ok(rig.planner.overruns >= 5);
    },
    longHorizon,
  );
});

test('a planner returning NaN actions: the safe action, never a NaN command', async () => {
  await withFaultyPlanner({ kind: 'nan' }, async (rig) => {
    await rig.ticks.next(() => rig.planner.plans >= 1, 'a plan');
    const ticks = await assertRateHolds(rig, 2);
    assertActionsSound(ticks);
    assert.ok(ticks.every((r) => r.source === 'safe'));
    const nan = ticks.filter(
      (r) => r.safeReason === 'mpc policy failed: newest plan has a non-finite action (NaN)',
    );
    assert.ok(nan.length >= 5, `${nan.length} of ${ticks.length}`);
    // Any other tick had no plan young enough to take an action from (a lagging planner).
    const planner = /non-finite action \(NaN\)$|newest plan is \d+\.\d{3} s old$|waiting for a plan/;
    mostly(ticks, (r) => planner.test(r.safeReason), 'NaN plans');
  });
});
