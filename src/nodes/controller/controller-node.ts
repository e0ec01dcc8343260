/**
 * The control loop as a node. At a fixed rate on the node clock it takes the newest valid
 * state, asks the policy of the current mode for an action, clamps it to the action bounds
 * and rate limits and publishes it (std_msgs/Float64MultiArray, the ros2_control
 * forward-command convention). The timer never waits on a planner: policies return at once
 * (an asynchronous planner's newest plan, or an error when there is none).
 *
 * The safe action (zero, or hold the last command) is sent instead when there is no state,
 * the state is stale, non-finite, stamped ahead of the clock, frozen (bit-identical while
 * driven, see FrozenStateDetector) or outside its limits, the policy is not ready or fails,
 * the mode is `stop`, or the e-stop topic is set; so the robot is never left acting on old
 * information. A message stamped before the newest one received (delayed, reordered) never
 * replaces newer state: it is dropped and counted. Every tick is published as mbrl_msgs/ControlTick for the data logger, and
 * diagnostics (rate, jitter, deadline misses, plan age, model version, uncertainty) go out
 * as diagnostic_msgs/DiagnosticArray.
 */
import type { Task } from '../../config/task-schema.js';
import { PolicyNotReadyError, type ActionSource, type Policy } from '../../policies/policy.js';
import {
  DiagnosticLevel,
  float64Array,
  type DiagnosticLevelValue,
  type JointStateMsg,
} from '../../runtime/messages.js';
import type { Publisher, RuntimeNode, Timer, TimerTick } from '../../runtime/node-api.js';
import { ThrottledWarning } from '../../runtime/throttled-warning.js';
import { timeFromSeconds, timeToSeconds } from '../../runtime/time.js';
import { ActionLimiter } from './action-limiter.js';
import { ControlTiming, type ControlTimingSummary } from './control-timing.js';
import { FrozenStateDetector } from './frozen-state-detector.js';
import { StateAssembler, type AssembleResult } from './state-assembler.js';

/** `reset` returns the robot to a start state between trials (TrialRunner's PD reset). */
export type ControlMode = 'mpc' | 'random' | 'teleop' | 'lqr' | 'reset' | 'stop';
export const CONTROL_MODES: readonly ControlMode[] = ['mpc', 'random', 'teleop', 'lqr', 'reset', 'stop'];

export interface ControllerNodeOptions {
  task: Task;
  /** The policy behind each mode this controller offers (`stop` needs none). */
  policies: Partial<Record<Exclude<ControlMode, 'stop'>, Policy>>;
  /** Mode at start; default the first configured of mpc, lqr, random, teleop. */
  mode?: ControlMode;
  rateHz: number;
  /** A state older than this (by its header stamp) is stale. */
  staleTimeoutSeconds: number;
  /**
   * A state bit-identical for this long while nonzero commands are sent is a frozen sensor
   * (safe action until it changes); 0 or absent = off. Must exceed the sensor period.
   */
  frozenTimeoutSeconds?: number;
  /** 'zero' commands zero; 'hold' repeats the last action that was sent. */
  safeAction: 'zero' | 'hold';
  /** Overrides of the task's action bounds and per-action rate limits (units/s), by action name. */
  actionLimits?: Record<string, { min?: number; max?: number; rate_limit_per_s?: number }>;
  /** Plausible range per state field, by name: a state outside it gives the safe action. */
  stateLimits?: Record<string, { min: number; max: number }>;
  /** Added to joint positions (by joint name) before the task sees them. */
  jointOffsets?: Record<string, number>;
  topics?: {
    jointStates?: string;
    command?: string;
    estop?: string;
    mode?: string;
    diagnostics?: string;
    ticks?: string;
    /** Also publish each action as std_msgs/Float64 on its own topic, times scale (action order). */
    jointCommands?: { topic: string; scale: number }[];
  };
  /** Diagnostics period in seconds of the node clock; default 1. */
  diagnosticsPeriodSeconds?: number;
  /** Ticks the timing percentiles cover; default 1024. */
  timingWindow?: number;
  /** Create the node without starting its timers: a managed node starts them in activate(). */
  inactive?: boolean;
}

/** What the controller did on its latest tick. */
export interface ControlTick {
  time: number;
  episode: number;
  step: number;
  state: Float64Array;
  action: Float64Array;
  source: ActionSource;
  mode: ControlMode;
  modelVersion: number;
  /** Why the safe action was used, if it was. */
  safeReason: string | null;
}

export interface ControllerStats {
  ticks: number;
  safeTicks: number;
  rejectedStates: number;
  policyErrors: number;
  notReadyTicks: number;
  missedTicks: number;
  rateLimitedTicks: number;
  rejectedModes: number;
  /** Joint states dropped because a newer one had already been received. */
  outOfOrderStates: number;
  /** Times the frozen-sensor detector tripped. */
  frozenTrips: number;
}

export class ControllerNode {
  readonly stats: ControllerStats = {
    ticks: 0,
    safeTicks: 0,
    rejectedStates: 0,
    policyErrors: 0,
    notReadyTicks: 0,
    missedTicks: 0,
    rateLimitedTicks: 0,
    rejectedModes: 0,
    outOfOrderStates: 0,
    frozenTrips: 0,
  };
  readonly lastTick: ControlTick;
  readonly timing: ControlTiming;
  private readonly assembler: StateAssembler;
  private readonly frozen: FrozenStateDetector;
  private readonly limiter: ActionLimiter;
  private readonly stateLow: Float64Array;
  private readonly stateHigh: Float64Array;
  private readonly state: Float64Array;
  private readonly action: Float64Array;
  private readonly previous: Float64Array;
  private readonly commandPub: Publisher<'std_msgs/msg/Float64MultiArray'>;
  private readonly jointCommandPubs: { pub: Publisher<'std_msgs/msg/Float64'>; scale: number }[];
  private readonly tickPub: Publisher<'mbrl_msgs/msg/ControlTick'>;
  private readonly diagnosticsPub: Publisher<'diagnostic_msgs/msg/DiagnosticArray'>;
  private timer: Timer | null = null;
  private diagnosticsTimer: Timer | null = null;
  /** Set while deactivate() sends its last (safe) command. */
  private deactivating = false;
  private readonly period: number;
  private currentMode: ControlMode;
  private estop = false;
  private stateStamp = -Infinity;
  /** Newest stamp of any in-order message, valid or not: older ones arrive too late. */
  private newestStamp = -Infinity;
  private hasState = false;
  private episode = 0;
  private step = 0;
  private episodeSteps: number | null = null;
  private readonly warnings: ThrottledWarning;

  constructor(
    private readonly node: RuntimeNode,
    private readonly options: ControllerNodeOptions,
  ) {
    const { task } = options;
    if (!(options.rateHz > 0)) throw new RangeError(`control rate must be positive, got ${options.rateHz}`);
    this.period = 1 / options.rateHz;
    this.warnings = new ThrottledWarning(node.logger);
    this.assembler = new StateAssembler(task.state, options.jointOffsets);
    this.frozen = new FrozenStateDetector(options.frozenTimeoutSeconds ?? 0, task.state.length);
    this.limiter = new ActionLimiter(resolveActionLimits(task, options.actionLimits ?? {}));
    [this.stateLow, this.stateHigh] = resolveStateLimits(task, options.stateLimits ?? {});
    this.state = new Float64Array(task.state.length);
    this.action = new Float64Array(task.action.length);
    this.previous = new Float64Array(task.action.length);
    this.timing = new ControlTiming(this.period, options.timingWindow);
    this.currentMode = options.mode ?? defaultMode(options.policies);
    if (this.currentMode !== 'stop' && !options.policies[this.currentMode])
      throw new RangeError(`mode "${this.currentMode}" has no policy (configured: ${this.modesOffered()})`);
    this.lastTick = {
      time: 0,
      episode: 0,
      step: 0,
      state: new Float64Array(task.state.length),
      action: new Float64Array(task.action.length),
      source: 'safe',
      mode: this.currentMode,
      modelVersion: 0,
      safeReason: 'not started',
    };
    const topics = options.topics ?? {};
    this.commandPub = node.createPublisher('std_msgs/msg/Float64MultiArray', topics.command ?? 'command', {
      qos: 'command',
    });
    const jointCommands = topics.jointCommands ?? [];
    if (jointCommands.length > 0 && jointCommands.length !== options.task.action.length)
      throw new RangeError(
        `jointCommands: expected one topic per action (${options.task.action.length}), got ${jointCommands.length}`,
      );
    this.jointCommandPubs = jointCommands.map(({ topic, scale }) => ({
      pub: node.createPublisher('std_msgs/msg/Float64', topic, { qos: 'command' }),
      scale,
    }));
    this.tickPub = node.createPublisher('mbrl_msgs/msg/ControlTick', topics.ticks ?? 'control_ticks', {
      qos: 'record',
    });
    this.diagnosticsPub = node.createPublisher(
      'diagnostic_msgs/msg/DiagnosticArray',
      topics.diagnostics ?? '/diagnostics',
    );
    node.createSubscription(
      'sensor_msgs/msg/JointState',
      topics.jointStates ?? 'joint_states',
      (m) => this.onJointState(m),
      { qos: 'sensorData' },
    );
    node.createSubscription('std_msgs/msg/Bool', topics.estop ?? 'estop', (m) => this.onEstop(m.data), {
      qos: 'latched',
    });
    node.createSubscription('std_msgs/msg/String', topics.mode ?? 'mode', (m) => this.setMode(m.data), {
      qos: 'latched',
    });
    if (!options.inactive) this.activate();
  }

  /** Starts the control loop and diagnostics (lifecycle activate); a no-op when running. */
  activate(): void {
    if (this.timer) return;
    // A fresh start: whatever was received before (a clock that since jumped back, a frozen
    // sensor) must not keep the new run on the safe action.
    this.newestStamp = -Infinity;
    this.hasState = false;
    this.frozen.reset();
    this.timer = this.node.createTimer(this.period, (tick) => this.onTick(tick), { precise: true });
    this.diagnosticsTimer = this.node.createTimer(this.options.diagnosticsPeriodSeconds ?? 1, () =>
      this.publishDiagnostics(),
    );
  }

  /**
   * Sends the safe action once, now, and stops the loop (lifecycle deactivate): whatever drives
   * the robot gets a safe command last, then silence, which its own watchdog also covers.
   */
  deactivate(): void {
    if (!this.timer) return;
    this.timer.cancel();
    this.diagnosticsTimer?.cancel();
    this.timer = null;
    this.diagnosticsTimer = null;
    const now = this.node.clock.nowSeconds();
    this.deactivating = true;
    try {
      this.onTick({ expected: now, actual: now, missed: 0 });
    } finally {
      this.deactivating = false;
    }
  }

  get active(): boolean {
    return this.timer !== null;
  }

  get mode(): ControlMode {
    return this.currentMode;
  }

  get estopActive(): boolean {
    return this.estop;
  }

  /**
   * Switches mode (also reachable through the mode topic). An unknown mode, or one with no
   * policy, is refused with a warning and the current mode stays. Returns whether it switched.
   */
  setMode(mode: string): boolean {
    const known = (CONTROL_MODES as readonly string[]).includes(mode);
    if (!known || (mode !== 'stop' && !this.options.policies[mode as Exclude<ControlMode, 'stop'>])) {
      this.stats.rejectedModes++;
      this.node.logger.warn(
        `refused mode "${String(mode).slice(0, 40)}": ${known ? 'no policy configured for it' : 'unknown mode'} (offered: ${this.modesOffered()})`,
      );
      return false;
    }
    if (mode !== this.currentMode) {
      this.node.logger.info(`mode ${this.currentMode} -> ${mode}`);
      this.currentMode = mode as ControlMode;
      if (mode !== 'stop') this.options.policies[mode as Exclude<ControlMode, 'stop'>]?.reset();
      // A frozen-sensor trip is cleared by the operator too: a robot at rest whose encoder
      // legitimately reads constant would otherwise stay safe until someone moves it.
      this.frozen.reset();
    }
    return true;
  }

  /**
   * Starts a new episode: policies forget their history. With `steps`, the tick after that
   * many steps is terminal (its state ends the episode; the safe action is sent).
   */
  resetEpisode(options: { steps?: number } = {}): void {
    this.episode++;
    this.step = 0;
    this.episodeSteps = options.steps ?? null;
    this.previous.fill(0);
    this.frozen.reset();
    for (const policy of Object.values(this.options.policies)) policy?.reset();
  }

  destroy(): void {
    this.timer?.cancel();
    this.diagnosticsTimer?.cancel();
    this.timer = null;
    this.diagnosticsTimer = null;
  }

  /** Timing over the recent window (rate, jitter, deadline misses). */
  timingSummary(): ControlTimingSummary {
    return this.timing.summary();
  }

  private onEstop(value: unknown): void {
    if (typeof value !== 'boolean') {
      this.warnThrottled(`ignored e-stop message with data ${String(value)} (expected a boolean)`);
      return;
    }
    if (value !== this.estop) this.node.logger.warn(value ? 'e-stop set: safe action' : 'e-stop cleared');
    this.estop = value;
  }

  private onJointState(msg: JointStateMsg): void {
    const stamp = timeToSeconds(msg.header.stamp);
    // A delayed or reordered message is superseded, whatever it holds: newer state stays.
    if (stamp < this.newestStamp) {
      this.stats.outOfOrderStates++;
      this.warnThrottled(
        `dropped joint state stamped ${(this.newestStamp - stamp).toFixed(3)} s before the newest (delayed or reordered)`,
      );
      return;
    }
    // A stamp from the future would defeat the staleness check (and lock out every newer
    // message above); the tolerance covers sensors published just before /clock in lockstep.
    const ahead = stamp - this.node.clock.nowSeconds();
    const result: AssembleResult =
      ahead > this.options.staleTimeoutSeconds
        ? { ok: false, reason: `stamped ${ahead.toFixed(3)} s ahead of the clock` }
        : this.assembler.assemble(msg, this.state);
    if (!result.ok) {
      this.stats.rejectedStates++;
      // Data that failed validation must not keep serving as "fresh": the next tick is safe.
      this.hasState = false;
      if (ahead <= this.options.staleTimeoutSeconds) this.newestStamp = stamp;
      this.warnThrottled(`rejected joint state: ${result.reason}`);
      return;
    }
    this.stateStamp = stamp;
    this.newestStamp = stamp;
    this.hasState = true;
  }

  private safeReasonNow(now: number): string | null {
    if (this.deactivating) return 'deactivated';
    if (this.estop) return 'e-stop';
    if (this.currentMode === 'stop') return 'mode stop';
    if (this.episodeSteps !== null && this.step >= this.episodeSteps) return 'episode ended';
    if (!this.hasState) return this.stats.rejectedStates > 0 ? 'invalid state' : 'no state received';
    if (now - this.stateStamp > this.options.staleTimeoutSeconds)
      return `state is ${(now - this.stateStamp).toFixed(3)} s old`;
    if (this.frozen.enabled) {
      const wasFrozen = this.frozen.frozen;
      // The command sent last tick is what should have moved the robot since.
      if (this.frozen.update(this.state, now, anyNonZero(this.previous))) {
        if (!wasFrozen) {
          this.stats.frozenTrips++;
          this.node.logger.warn(
            `sensor frozen: every state field bit-identical for ${this.frozen.timeoutSeconds} s while commands were sent; safe action until it changes (or the mode is switched)`,
          );
        }
        return 'sensor frozen';
      }
    }
    for (let i = 0; i < this.state.length; i++)
      if (this.state[i] < this.stateLow[i] || this.state[i] > this.stateHigh[i])
        return `${this.options.task.state[i].name} = ${this.state[i].toPrecision(4)} is outside [${this.stateLow[i]}, ${this.stateHigh[i]}]`;
    return null;
  }

  private onTick(tick: TimerTick): void {
    const workStarted = performance.now();
    const now = tick.actual;
    this.stats.ticks++;
    this.stats.missedTicks += tick.missed;
    let safeReason = this.safeReasonNow(now);
    const policy = this.currentMode === 'stop' ? undefined : this.options.policies[this.currentMode];
    if (safeReason === null && policy) {
      try {
        policy.act(this.state, now, this.action);
        for (let i = 0; i < this.action.length; i++)
          if (!Number.isFinite(this.action[i]))
            throw new Error(`policy returned non-finite action ${this.action[i]}`);
        if (this.limiter.apply(this.action, this.previous, this.period)) this.stats.rateLimitedTicks++;
      } catch (error) {
        if (error instanceof PolicyNotReadyError) {
          this.stats.notReadyTicks++;
          safeReason = `${this.currentMode} not ready: ${error.message}`;
        } else {
          this.stats.policyErrors++;
          safeReason = `${this.currentMode} policy failed: ${(error as Error).message}`;
        }
      }
    }
    if (safeReason !== null) {
      // The tick that ends an episode is bookkeeping, not a safety event.
      if (safeReason !== 'episode ended') this.stats.safeTicks++;
      // The safe action skips the rate limit: stopping must not be slowed down.
      if (this.options.safeAction === 'zero') this.action.fill(0);
      else this.action.set(this.previous);
      // Chosen stops (mode stop, end of episode) are not problems worth a warning.
      if (
        this.hasState &&
        safeReason !== 'episode ended' &&
        safeReason !== 'mode stop' &&
        safeReason !== 'deactivated'
      )
        this.warnThrottled(`safe action: ${safeReason}`);
    }
    const terminal = this.episodeSteps !== null && this.step === this.episodeSteps;
    const source: ActionSource = safeReason === null && policy ? policy.source : 'safe';
    const modelVersion = policy?.status?.().modelVersion ?? 0;
    this.commandPub.publish(float64Array(Array.from(this.action)));
    for (let i = 0; i < this.jointCommandPubs.length; i++)
      this.jointCommandPubs[i].pub.publish({ data: this.action[i] * this.jointCommandPubs[i].scale });
    this.previous.set(this.action);
    const last = this.lastTick;
    last.time = now;
    last.episode = this.episode;
    last.step = this.step;
    last.state.set(this.state);
    last.action.set(this.action);
    last.source = source;
    last.mode = this.currentMode;
    last.modelVersion = modelVersion;
    last.safeReason = safeReason;
    this.tickPub.publish({
      header: { stamp: timeFromSeconds(now), frame_id: '' },
      episode: this.episode,
      step: this.step,
      terminal,
      state: Array.from(this.state),
      action: Array.from(this.action),
      source,
      mode: this.currentMode,
      model_version: modelVersion,
      safe_reason: safeReason ?? '',
      has_state: this.hasState,
    });
    this.step++;
    this.timing.record(tick.expected, tick.actual, tick.missed, (performance.now() - workStarted) / 1000);
  }

  private publishDiagnostics(): void {
    const t = this.timing.summary();
    const policy = this.currentMode === 'stop' ? undefined : this.options.policies[this.currentMode];
    const status = policy?.status?.();
    const reason = this.lastTick.safeReason;
    let level: DiagnosticLevelValue = DiagnosticLevel.OK;
    let message = `${this.currentMode}: acting`;
    if (!this.hasState) {
      level = DiagnosticLevel.STALE;
      message = 'no valid state';
    } else if (reason !== null) {
      level = DiagnosticLevel.WARN;
      message = `safe action: ${reason}`;
    }
    const fmt = (v: number | undefined, digits = 3) => (v === undefined ? '' : v.toFixed(digits));
    this.diagnosticsPub.publish({
      header: { stamp: this.node.now(), frame_id: '' },
      status: [
        {
          level,
          name: `${this.node.name}: control loop`,
          message,
          hardware_id: this.options.task.name,
          values: [
            { key: 'mode', value: this.currentMode },
            { key: 'estop', value: String(this.estop) },
            { key: 'rate_hz', value: fmt(t.rateHz, 2) },
            { key: 'rate_target_hz', value: fmt(this.options.rateHz, 2) },
            { key: 'jitter_p50_ms', value: fmt(t.jitterP50Ms) },
            { key: 'jitter_p99_ms', value: fmt(t.jitterP99Ms) },
            { key: 'jitter_max_ms', value: fmt(t.jitterMaxMs) },
            { key: 'tick_work_p99_ms', value: fmt(t.workP99Ms) },
            { key: 'deadline_misses', value: String(t.deadlineMisses) },
            { key: 'ticks', value: String(this.stats.ticks) },
            { key: 'safe_ticks', value: String(this.stats.safeTicks) },
            { key: 'policy_errors', value: String(this.stats.policyErrors) },
            { key: 'rejected_states', value: String(this.stats.rejectedStates) },
            { key: 'out_of_order_states', value: String(this.stats.outOfOrderStates) },
            { key: 'frozen_trips', value: String(this.stats.frozenTrips) },
            { key: 'safe_reason', value: reason ?? '' },
            { key: 'model_version', value: String(status?.modelVersion ?? 0) },
            { key: 'plan_age_s', value: fmt(status?.planAgeSeconds) },
            { key: 'uncertainty', value: fmt(status?.uncertainty, 4) },
            { key: 'planner_errors', value: String(status?.plannerErrors ?? '') },
            { key: 'planner_overruns', value: String(status?.plannerOverruns ?? '') },
          ],
        },
      ],
    });
  }

  private modesOffered(): string {
    return ['stop', ...Object.keys(this.options.policies)].join(', ');
  }

  private warnThrottled(message: string): void {
    // A new kind of problem (by its first words) is reported at once; repeats at most once a second.
    this.warnings.warn(message, message.slice(0, 24));
  }
}

function anyNonZero(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) return true;
  return false;
}

function defaultMode(policies: ControllerNodeOptions['policies']): ControlMode {
  for (const mode of ['mpc', 'lqr', 'random', 'teleop'] as const) if (policies[mode]) return mode;
  return 'stop';
}

function resolveActionLimits(task: Task, overrides: NonNullable<ControllerNodeOptions['actionLimits']>) {
  const names = task.action.map((a) => a.name);
  for (const name of Object.keys(overrides))
    if (!names.includes(name))
      throw new RangeError(`action limits: unknown action "${name}" (task actions: ${names.join(', ')})`);
  return {
    low: Float64Array.from(task.action, (a) => overrides[a.name]?.min ?? a.min),
    high: Float64Array.from(task.action, (a) => overrides[a.name]?.max ?? a.max),
    ratePerSecond: Float64Array.from(task.action, (a) => overrides[a.name]?.rate_limit_per_s ?? Infinity),
  };
}

function resolveStateLimits(
  task: Task,
  limits: NonNullable<ControllerNodeOptions['stateLimits']>,
): [Float64Array, Float64Array] {
  const names = task.state.map((s) => s.name);
  for (const name of Object.keys(limits))
    if (!names.includes(name))
      throw new RangeError(`state limits: unknown state field "${name}" (task state: ${names.join(', ')})`);
  return [
    Float64Array.from(task.state, (s) => limits[s.name]?.min ?? -Infinity),
    Float64Array.from(task.state, (s) => limits[s.name]?.max ?? Infinity),
  ];
}
