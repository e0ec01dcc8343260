/**
 * Shared parts of fault scenarios that run a whole RobotStack and check its MCAP log afterwards
 * (not a test file itself: it lives under src/ so node --test does not load it as one).
 *
 * `RobotStackProbe` records, from the bus, every ControlTick (by step, so a logged transition can
 * be matched with the tick that produced it) and the diagnostics of the data logger and the
 * drivers. `stepSkips` and `logOrderProblem` describe a transition log's step sequence, and
 * `tmpfsForTest` mounts the small disk a test fills (skipping the test without root).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { LoggedTransition } from '../datalog/transition-record.js';
import type { DiagnosticStatusMsg } from '../runtime/messages.js';
import type { Transport } from '../runtime/node-api.js';
import { timeToSeconds } from '../runtime/time.js';
import { mountTmpfs, type Tmpfs } from './fault-harness.js';

/** The safe reason of a tick whose state was older than the stale timeout. */
export const STALE_REASON = /^state is \d+\.\d{3} s old$/;

/** One ControlTick as the controller published it. */
export interface ObservedTick {
  episode: number;
  step: number;
  /** Wall seconds (the robot stack's controller runs on the wall clock). */
  time: number;
  source: string;
  safeReason: string;
  hasState: boolean;
  state: number[];
  action: number[];
}

/** What a combined-fault test reads off the bus of a running RobotStack. */
export class RobotStackProbe {
  /** In publication order; the stack runs one long episode, so steps rise by one. */
  readonly ticks: ObservedTick[] = [];
  /** The data logger's `transition log` statuses, in order. */
  readonly logStatuses: DiagnosticStatusMsg[] = [];
  /** Every driver status (names start with `driver_<index>_`), in order. */
  readonly driverStatuses: DiagnosticStatusMsg[] = [];
  private readonly byStep = new Map<number, ObservedTick>();

  constructor(bus: Transport, topics: { ticks?: string } = {}) {
    const node = bus.createNode('combined_fault_probe');
    node.createSubscription(
      'mbrl_msgs/msg/ControlTick',
      topics.ticks ?? 'control_ticks',
      (m) => {
        const tick: ObservedTick = {
          episode: m.episode,
          step: m.step,
          time: timeToSeconds(m.header.stamp),
          source: m.source,
          safeReason: m.safe_reason,
          hasState: m.has_state,
          state: Array.from(m.state),
          action: Array.from(m.action),
        };
        this.ticks.push(tick);
        this.byStep.set(tick.step, tick);
      },
      // As the data logger subscribes: every tick, none dropped under load.
      { qos: 'record' },
    );
    node.createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', (m) => {
      for (const s of m.status) {
        if (s.name.endsWith(': transition log')) this.logStatuses.push(s);
        else if (s.name.startsWith('driver_')) this.driverStatuses.push(s);
      }
    });
  }

  /** The tick of `step` (of the stack's single episode), if it was published. */
  tick(step: number): ObservedTick | undefined {
    return this.byStep.get(step);
  }

  /** The newest tick's step, or -1 before the first. */
  get lastStep(): number {
    return this.ticks.at(-1)?.step ?? -1;
  }

  /** The first tick after `afterStep` that satisfies `match`. */
  firstAfter(afterStep: number, match: (t: ObservedTick) => boolean): ObservedTick | undefined {
    return this.ticks.find((t) => t.step > afterStep && match(t));
  }

  /** Ticks with from <= step < to. */
  steps(from: number, to: number): ObservedTick[] {
    return this.ticks.filter((t) => t.step >= from && t.step < to);
  }
}

/**
 * Checks that `records` (a whole log, in order) are one episode with steps and stamps strictly
 * rising, so no transition appears twice or out of order; unlike `sequenceProblem` it allows
 * steps to be skipped (see `stepSkips`). Returns the first problem, or undefined.
 */
export function logOrderProblem(records: readonly LoggedTransition[]): string | undefined {
  for (let i = 1; i < records.length; i++) {
    const a = records[i - 1];
    const b = records[i];
    if (b.episode !== a.episode) return `record ${i}: episode ${a.episode} then ${b.episode}`;
    if (!(b.step > a.step)) return `record ${i}: step ${a.step} then ${b.step}`;
    if (!(b.stamp > a.stamp)) return `record ${i}: stamp ${a.stamp} then ${b.stamp}`;
  }
  return undefined;
}

/** A stretch of steps missing from a log: `from` to `from + count - 1`. */
export interface StepSkip {
  from: number;
  count: number;
}

/** The stretches of steps missing between consecutive records (in a log `logOrderProblem` accepts). */
export function stepSkips(records: readonly LoggedTransition[]): StepSkip[] {
  const skips: StepSkip[] = [];
  for (let i = 1; i < records.length; i++) {
    const gap = records[i].step - records[i - 1].step - 1;
    if (gap > 0) skips.push({ from: records[i - 1].step + 1, count: gap });
  }
  return skips;
}

/**
 * Runs the cleanups added through the returned function after the test, newest first (node:test
 * runs `t.after` hooks in the order added), so a robot stops before the disk under its log is
 * unmounted and before the links it uses go away.
 */
export function testCleanups(t: TestContext): (cleanup: () => unknown) => void {
  const list: (() => unknown)[] = [];
  t.after(async () => {
    for (const cleanup of list.reverse()) await cleanup();
  });
  return (cleanup) => list.push(cleanup);
}

/**
 * A tmpfs of `sizeBytes` for the test, unmounted after it (even when it fails). Undefined when it
 * cannot be mounted (no root): the test is skipped with the reason printed; with
 * MBRL_REQUIRE_HARDWARE_TESTS=1 mountTmpfs throws instead, failing the test.
 */
export function tmpfsForTest(
  t: TestContext,
  onCleanup: (cleanup: () => unknown) => void,
  label: string,
  sizeBytes: number,
): Tmpfs | undefined {
  const base = mkdtempSync(join(tmpdir(), `fault-${label}-`));
  let fs: Tmpfs | string;
  try {
    fs = mountTmpfs(base, sizeBytes);
  } catch (error) {
    rmSync(base, { recursive: true, force: true });
    throw error;
  }
  if (typeof fs === 'string') {
    console.log(`# skipped: ${fs}`);
    t.skip(fs);
    rmSync(base, { recursive: true, force: true });
    return undefined;
  }
  const mounted = fs;
  onCleanup(() => {
    mounted.unmount();
    rmSync(base, { recursive: true, force: true });
  });
  return mounted;
}
