/**
 * Shared parts of the sensor, planner and model fault scenarios (not a test file itself: node
 * --test loads every file under test/, and this one does nothing on load).
 *
 * `ControlRig` composes a PETS robot the way ControllerPart does (controller at the config's
 * rate on the wall clock, AsyncMpcPolicy over a real AsyncPlanner worker, the embedded MuJoCo
 * simulator in real time as the driver), with one difference: the driver publishes on
 * `sim/joint_states` and a `SensorFaultRelay` forwards to the controller's topic, so sensor
 * faults are injected on the wire the way a broken driver or network would produce them.
 * `TickLog` records every ControlTick with the command that went out with it.
 */
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { RobotConfigSchema, type RobotConfig } from '../config/robot-schema.js';
import { loadTask, type LoadedTask } from '../config/task-loader.js';
import { waitFor } from '../hardware/testing/wait-for.js';
import { ControllerNode } from '../nodes/controller/controller-node.js';
import { StateAssembler } from '../nodes/controller/state-assembler.js';
import { MujocoSimNode } from '../nodes/mujoco-sim-node.js';
import { AsyncPlanner, type ModelSource, type PlannerWorkerScript } from '../planning/async-planner.js';
import { PlannerProfileSchema, type PlannerProfile } from '../planning/planner-profile.js';
import { AsyncMpcPolicy } from '../policies/async-mpc-policy.js';
import { InProcessBus } from '../runtime/in-process-bus.js';
import { setLogSink, type LogRecord } from '../runtime/logger.js';
import type { DiagnosticArrayMsg, JointStateMsg } from '../runtime/messages.js';
import type { RuntimeNode, Transport } from '../runtime/node-api.js';
import { timeToSeconds } from '../runtime/time.js';
import { TaskEnvironment } from '../tasks/task-environment.js';

/** A planner that plans in a few ms with the simulator as its model (no training needed). */
export const SIM_PLANNER_PROFILE: PlannerProfile = PlannerProfileSchema.parse({
  horizon: 10,
  particles: 1,
  sample_noise: false,
  optimizer: { type: 'cem', population: 20, elites: 4, iterations: 2 },
  ensemble: { members: 1, hidden_layers: 1, hidden_units: 8 },
});

/** Routes every node's log lines here instead of stderr; `restore` puts stderr back. */
export class LogCapture {
  readonly records: LogRecord[] = [];

  constructor() {
    setLogSink((record) => this.records.push(record));
  }

  /** Warnings and errors whose message matches. */
  problems(pattern: RegExp): LogRecord[] {
    return this.records.filter((r) => (r.level === 'warn' || r.level === 'error') && pattern.test(r.message));
  }

  restore(): void {
    setLogSink(undefined);
  }
}

export interface TickRecord<P> {
  /** The tick's time on the controller's clock (wall seconds here). */
  time: number;
  source: string;
  safeReason: string;
  state: number[];
  action: number[];
  modelVersion: number;
  hasState: boolean;
  /** The command published by the same tick. */
  command: number[] | null;
  /** What `probe` returned while the tick was being published (inside the tick). */
  probe: P;
}

/**
 * Every ControlTick, paired with the command the same tick published. The bus delivers both
 * synchronously inside the controller's tick, so `probe` sees the policy as that tick left it.
 */
export class TickLog<P = undefined> {
  readonly records: TickRecord<P>[] = [];
  readonly diagnostics: DiagnosticArrayMsg[] = [];
  private lastCommand: number[] | null = null;

  constructor(node: RuntimeNode, probe: () => P, topics: { command?: string; ticks?: string } = {}) {
    node.createSubscription(
      'std_msgs/msg/Float64MultiArray',
      topics.command ?? 'command',
      (m) => (this.lastCommand = Array.from(m.data)),
      { qos: 'command' },
    );
    node.createSubscription(
      'mbrl_msgs/msg/ControlTick',
      topics.ticks ?? 'control_ticks',
      (m) => {
        this.records.push({
          time: timeToSeconds(m.header.stamp),
          source: m.source,
          safeReason: m.safe_reason,
          state: Array.from(m.state),
          action: Array.from(m.action),
          modelVersion: m.model_version,
          hasState: m.has_state,
          command: this.lastCommand,
          probe: probe(),
        });
        this.lastCommand = null;
      },
      { qos: 'record' },
    );
    node.createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', (m) =>
      this.diagnostics.push(m),
    );
  }

  /** Ticks with from < time <= to. */
  between(from: number, to = Infinity): TickRecord<P>[] {
    return this.records.filter((r) => r.time > from && r.time <= to);
  }

  /** Waits for the first tick after `after` that satisfies `match`, and returns it. */
  async next(
    match: (r: TickRecord<P>) => boolean,
    what: string,
    after = -Infinity,
    timeoutMs = 10_000,
  ): Promise<TickRecord<P>> {
    let found: TickRecord<P> | undefined;
    await waitFor(
      () => (found = this.records.find((r) => r.time > after && match(r))) !== undefined,
      what,
      timeoutMs,
      10,
    );
    return found as TickRecord<P>;
  }

  /** Waits until `count` ticks after `after` satisfy `match`; returns the last of them. */
  async count(
    match: (r: TickRecord<P>) => boolean,
    count: number,
    what: string,
    after = -Infinity,
    timeoutMs = 10_000,
  ): Promise<TickRecord<P>> {
    let hits: TickRecord<P>[] = [];
    await waitFor(
      () => (hits = this.records.filter((r) => r.time > after && match(r))).length >= count,
      what,
      timeoutMs,
      10,
    );
    return hits[count - 1];
  }

  /** The newest value of a controller diagnostic (e.g. 'planner_errors'). */
  diagnostic(key: string): string | undefined {
    for (let i = this.diagnostics.length - 1; i >= 0; i--)
      for (const status of this.diagnostics[i].status)
        for (const v of status.values) if (v.key === key) return v.value;
    return undefined;
  }
}

/** Waits until the log holds a warning or error matching `pattern`; returns the first. */
export async function waitForProblem(logs: LogCapture, pattern: RegExp, what: string, timeoutMs = 10_000) {
  await waitFor(() => logs.problems(pattern).length > 0, what, timeoutMs, 10);
  return logs.problems(pattern)[0];
}

export type SensorFault =
  | { kind: 'none' }
  /** Nothing gets through (an unplugged cable, a dead driver). */
  | { kind: 'drop' }
  /** Every message arrives this much later (a congested link); released in order. */
  | { kind: 'delay'; seconds: number }
  /** Every fresh message is followed by a copy of the one from `ageSeconds` earlier (reordering). */
  | { kind: 'replay'; ageSeconds: number }
  /** The quantity of every joint is NaN (a driver decoding garbage). */
  | { kind: 'nan'; quantity: 'position' | 'velocity' }
  /** The values of the last good message, repeated with fresh stamps (a stuck board). */
  | { kind: 'freeze' };

/**
 * Forwards joint states from the driver's topic to the controller's, applying the current
 * fault. Messages are copied (the bus delivers by reference). Delayed messages still held when
 * the fault changes are released after the newer ones: a late burst of old stamps.
 */
export class SensorFaultRelay {
  fault: SensorFault = { kind: 'none' };
  /** The newest message forwarded unchanged (what a healthy sensor would have said). */
  lastFresh: JointStateMsg | null = null;
  forwarded = 0;
  dropped = 0;
  private readonly out;
  private readonly held: { due: number; msg: JointStateMsg }[] = [];
  private readonly history: JointStateMsg[] = [];
  private frozen: JointStateMsg | null = null;

  constructor(
    private readonly node: RuntimeNode,
    from: string,
    to: string,
  ) {
    this.out = node.createPublisher('sensor_msgs/msg/JointState', to, { qos: 'sensorData' });
    node.createSubscription('sensor_msgs/msg/JointState', from, (m) => this.onMessage(m), {
      qos: 'sensorData',
    });
  }

  /** Switches the fault; returns the time it took effect on the node clock. */
  set(fault: SensorFault): number {
    this.fault = fault;
    if (fault.kind === 'freeze') this.frozen = this.lastFresh;
    return this.node.clock.nowSeconds();
  }

  private onMessage(incoming: JointStateMsg): void {
    const now = this.node.clock.nowSeconds();
    const msg = copy(incoming);
    const stamp = timeToSeconds(msg.header.stamp);
    this.history.push(msg);
    while (this.history.length > 0 && timeToSeconds(this.history[0].header.stamp) < stamp - 2)
      this.history.shift();
    const fault = this.fault;
    switch (fault.kind) {
      case 'none':
        this.send(msg, true);
        break;
      case 'drop':
        this.dropped++;
        break;
      case 'delay':
        this.held.push({ due: now + fault.seconds, msg });
        break;
      case 'replay': {
        this.send(msg, true);
        const old = this.history.findLast((m) => timeToSeconds(m.header.stamp) <= stamp - fault.ageSeconds);
        if (old) this.send(copy(old), false);
        break;
      }
      case 'nan':
        this.send({ ...msg, [fault.quantity]: msg[fault.quantity].map(() => Number.NaN) }, false);
        break;
      case 'freeze': {
        const frozen = this.frozen ?? msg;
        this.frozen = frozen;
        this.send({ ...msg, position: [...frozen.position], velocity: [...frozen.velocity] }, false);
        break;
      }
    }
    // Held messages go out when due; once the delay is gone, all of them, late.
    const releaseAll = fault.kind !== 'delay';
    while (this.held.length > 0 && (releaseAll || this.held[0].due <= now))
      this.send((this.held.shift() as { msg: JointStateMsg }).msg, !releaseAll);
  }

  private send(msg: JointStateMsg, fresh: boolean): void {
    if (fresh) this.lastFresh = msg;
    this.forwarded++;
    this.out.publish(msg);
  }
}

function copy(m: JointStateMsg): JointStateMsg {
  return {
    header: { stamp: { ...m.header.stamp }, frame_id: m.header.frame_id },
    name: [...m.name],
    position: [...m.position],
    velocity: [...m.velocity],
    effort: [...m.effort],
  };
}

export interface TickProbe {
  /** The newest healthy message forwarded, as the controller's state (null before the first). */
  freshState: number[] | null;
  /** Age of the plan the policy looked at this tick (seconds), if any. */
  planAge: number | undefined;
  /** The action the newest plan schedules for this tick (what an 'mpc' tick must send). */
  scheduled: number[] | null;
  plannerErrors: number;
  plannerOverruns: number;
}

export interface ControlRigOptions {
  task: string;
  /** The robot config's `control` section (defaults as in a robot file). */
  control?: Record<string, unknown>;
  profile?: PlannerProfile;
  model?: ModelSource;
  /** A fault-injecting planner worker script (the injected fault itself). */
  plannerScript?: PlannerWorkerScript;
  seed?: number;
}

/** A PETS robot on the in-process bus with a fault point between its driver and controller. */
export class ControlRig {
  readonly ticks: TickLog<TickProbe>;
  private readonly assembler: StateAssembler;
  private readonly fresh: Float64Array;

  private constructor(
    readonly bus: InProcessBus,
    readonly config: RobotConfig,
    readonly task: LoadedTask,
    readonly env: TaskEnvironment,
    readonly sim: MujocoSimNode,
    readonly relay: SensorFaultRelay,
    readonly planner: AsyncPlanner,
    readonly policy: AsyncMpcPolicy,
    readonly controller: ControllerNode,
  ) {
    this.assembler = new StateAssembler(task.task.state);
    this.fresh = new Float64Array(task.task.state.length);
    this.ticks = new TickLog(bus.createNode('fault_observer'), () => this.probe(), {
      command: config.topics.command,
    });
  }

  static async start(options: ControlRigOptions): Promise<ControlRig> {
    const task = loadTask(options.task);
    const config = RobotConfigSchema.parse({
      robot: 'fault_rig',
      task: options.task,
      control: options.control ?? {},
      controller: { type: 'pets' },
      drivers: [{ type: 'sim', mode: 'realtime', sensor_rate_hz: 100 }],
    });
    const seed = options.seed ?? 1;
    const t = task.task;
    const rate = config.control.rate_hz;
    const planner = new AsyncPlanner(
      {
        taskFile: task.file,
        profile: options.profile ?? SIM_PLANNER_PROFILE,
        model: options.model ?? { kind: 'simulator' },
        seed: seed + 2000,
        budgetMs: 1000 / rate,
        backend: config.model.backend,
      },
      options.plannerScript,
    );
    const bus = new InProcessBus();
    let env: TaskEnvironment | null = null;
    try {
      await planner.ready;
      env = await TaskEnvironment.create(task);
      // As createDrivers builds the simulator driver, but publishing where the relay listens.
      const sim = new MujocoSimNode(bus.createNode('driver_0_sim'), {
        env,
        mode: 'realtime',
        seed,
        sensorRateHz: 100,
        topics: { jointStates: 'sim/joint_states', command: config.topics.command },
        commandTimeoutSeconds: Math.max(0.1, 2 / rate),
      });
      const relay = new SensorFaultRelay(
        bus.createNode('fault_injector'),
        'sim/joint_states',
        config.topics.joint_states,
      );
      // As ControllerPart builds the PETS controller (plan age limit included).
      const policy = new AsyncMpcPolicy({
        actionDim: t.action.length,
        maxPlanAgeSeconds: Math.max(0.2, 5 / rate),
      });
      policy.attach(planner);
      const controller = new ControllerNode(bus.createNode('controller'), {
        task: t,
        policies: { mpc: policy },
        mode: 'mpc',
        rateHz: rate,
        staleTimeoutSeconds: config.control.stale_timeout_s,
        frozenTimeoutSeconds: config.control.frozen_timeout_s,
        safeAction: config.control.safe_action,
        actionLimits: config.control.limits,
        topics: { jointStates: config.topics.joint_states, command: config.topics.command },
      });
      const rig = new ControlRig(bus, config, task, env, sim, relay, planner, policy, controller);
      sim.reset();
      sim.start();
      controller.resetEpisode();
      return rig;
    } catch (error) {
      env?.dispose();
      await planner.stop();
      await bus.shutdown();
      throw error;
    }
  }

  /**
   * What the controller's timing counted over `seconds` of wall time: ticks served, periods
   * skipped (the timer's missed ticks), deadline misses, and the periods that wall time holds.
   */
  async measureRate(seconds: number): Promise<{
    ticks: number;
    skipped: number;
    deadlineMisses: number;
    expected: number;
    rateHz: number;
  }> {
    const before = this.controller.timingSummary();
    const skippedBefore = this.controller.stats.missedTicks;
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const elapsed = (performance.now() - started) / 1000;
    const after = this.controller.timingSummary();
    return {
      ticks: after.ticks - before.ticks,
      skipped: this.controller.stats.missedTicks - skippedBefore,
      deadlineMisses: after.deadlineMisses - before.deadlineMisses,
      expected: elapsed * this.config.control.rate_hz,
      rateHz: after.rateHz,
    };
  }

  async stop(): Promise<void> {
    this.controller.setMode('stop');
    this.controller.destroy();
    this.sim.stop();
    await this.planner.stop();
    await this.bus.shutdown();
    this.env.dispose();
  }

  private probe(): TickProbe {
    const status = this.policy.status();
    const plan = this.planner.latest;
    let scheduled: number[] | null = null;
    if (plan && status.planAgeSeconds !== undefined) {
      const index = Math.max(0, Math.floor(status.planAgeSeconds / plan.dt + 1e-6));
      if (index < plan.horizon)
        scheduled = Array.from(plan.actions.subarray(index * plan.actionDim, (index + 1) * plan.actionDim));
    }
    const last = this.relay.lastFresh;
    return {
      freshState: last && this.assembler.assemble(last, this.fresh).ok ? Array.from(this.fresh) : null,
      planAge: status.planAgeSeconds,
      scheduled,
      plannerErrors: status.plannerErrors ?? 0,
      plannerOverruns: status.plannerOverruns ?? 0,
    };
  }
}

/** The safe reason of a tick whose sensor data was older than the stale timeout. */
export const STALE = /^state is \d+\.\d{3} s old$/;

/**
 * Checks that most ticks (75%) match and that the others are only stale-sensor ticks: on a
 * machine busy with other tests the driver's own timer (the simulator) can fall behind the
 * stale timeout too, which is a correct safe action but not the fault under test.
 */
export function mostly<P>(
  ticks: readonly TickRecord<P>[],
  match: (r: TickRecord<P>) => boolean,
  what: string,
): void {
  const other = ticks.filter((r) => !match(r));
  const unexplained = other.filter((r) => !STALE.test(r.safeReason));
  assert.deepEqual(
    unexplained.map((r) => `${r.time}: ${r.source} ${r.safeReason}`),
    [],
    `${what}: unexpected ticks`,
  );
  assert.ok(other.length <= 0.25 * ticks.length, `${what}: ${other.length} of ${ticks.length} ticks stale`);
}

/** True when every tick's action and command are finite numbers and equal to each other. */
export function commandsMatchTicks<P>(records: readonly TickRecord<P>[]): boolean {
  return records.every(
    (r) => r.command !== null && r.action.every(Number.isFinite) && isDeepStrictEqual(r.command, r.action),
  );
}

/** Announces a model on `model_update` the way the trainer does (latched std_msgs/String). */
export function modelAnnouncer(bus: Transport, topic = 'model_update') {
  const node = bus.createNode('model_fault_injector');
  const pub = node.createPublisher('std_msgs/msg/String', topic, { qos: 'latched' });
  return (version: number, dir: string) => pub.publish({ data: JSON.stringify({ version, dir }) });
}
