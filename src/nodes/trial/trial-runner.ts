/**
 * Runs "reset, then one trial" on the node graph, for episodic learners such as LQR-FLM that
 * need every trial to start from a given state. It never touches the robot itself: it
 * switches the controller's mode and episode, and learns what happened from the controller's
 * `control_ticks` (the state acted on and the action sent), so the same runner serves the
 * simulator and a robot.
 *
 * Resets (TrialResetConfig):
 *  - teleport: the driver puts the simulator in the start state; the trial's first tick sees it.
 *  - pd: the controller runs a JointPdPolicy (mode and source `reset`) to the start pose at the
 *    control rate until every position is within tolerance of the start and every velocity
 *    within tolerance of zero, on a tick that acted on fresh state.
 *  - operator: the controller sends the safe action (mode `stop`) until `true` arrives on the
 *    ready topic (std_msgs/Bool); only a message received during this wait counts, so a
 *    latched or early "ready" from the last reset does not skip this one.
 * A reset that does not finish within its timeout (node clock) stops the controller and
 * throws ResetTimeoutError. Reset ticks run in their own controller episode, so they never
 * pair with trial ticks in the data logger; `trialSink` keeps them out of a log.
 *
 * Time moves through a driver. In lockstep, `advance` simulates one control period
 * (MujocoSimNode.advance), during which the bus delivers the controller's tick. Without
 * `advance` (real time) the runner waits for the controller's next tick instead; the wait
 * fails after `tickTimeoutSeconds` of wall time so a dead control loop cannot hang it.
 * Progress is published, latched, on `trial/state` (std_msgs/String) for an operator's UI.
 */
import type { Task, StateField } from '../../config/task-schema.js';
import type { TrialResetConfig } from '../../config/robot-schema.js';
import type { TransitionRecord } from '../../datalog/transition-record.js';
import { wrapAngle } from '../../math/angles.js';
import type { JointPdPolicy } from '../../policies/joint-pd-policy.js';
import type { ControlTickMsg } from '../../runtime/messages.js';
import type { Publisher, RuntimeNode, Subscription } from '../../runtime/node-api.js';
import { timeToSeconds } from '../../runtime/time.js';
import type { ControlMode, ControllerNode } from '../controller/controller-node.js';
import type { TransitionSink } from '../data-logger/data-logger-node.js';
import { ResetTimeoutError } from './reset-timeout-error.js';

export interface TrialDriver {
  /** Lockstep: simulate one control period. Absent in real time: the runner waits for the next tick. */
  advance?: () => void;
  /** Put the robot in `state` and publish it (MujocoSimNode.reset); only a simulator can. */
  teleport?: (state: ArrayLike<number>) => void;
}

export interface TrialRunnerOptions {
  task: Task;
  controller: ControllerNode;
  reset: TrialResetConfig;
  driver: TrialDriver;
  /** For reset type pd: the policy in the controller's `reset` slot. */
  resetPolicy?: JointPdPolicy;
  /** Mode trials run in; default 'lqr'. */
  trialMode?: Exclude<ControlMode, 'stop'>;
  /** The controller's period (s); default task.dt. Bounds the periods a timeout may take. */
  periodSeconds?: number;
  /** Real time: wall seconds without a control tick before a wait fails; default max(1, 20 periods). */
  tickTimeoutSeconds?: number;
  topics?: { ticks?: string; state?: string };
}

export interface ResetOutcome {
  type: TrialResetConfig['type'];
  /** Control periods the reset took (0 for teleport). */
  periods: number;
  /** Node-clock seconds the reset took. */
  seconds: number;
  /** max |q - q0| over position fields at the end of the reset (null: no state seen, or teleport). */
  positionError: number | null;
  /** max |qdot| over velocity fields at the end of the reset. */
  velocityError: number | null;
}

export interface TrialResult {
  /** The controller's episode number (the log's `episode`). */
  episode: number;
  /** s_0 .. s_T as the controller acted on them. */
  states: Float64Array[];
  /** a_0 .. a_{T-1} as sent (after the controller's clamping and rate limits). */
  actions: Float64Array[];
  /** Node-clock time of the first tick. */
  startTime: number;
  /** Ticks among the first T that sent the safe action instead of the trial policy's. */
  safeTicks: number;
  reset: ResetOutcome;
}

interface ObservedTick {
  time: number;
  episode: number;
  step: number;
  terminal: boolean;
  state: Float64Array;
  action: Float64Array;
  mode: string;
  safeReason: string;
}

export class TrialRunner {
  private readonly stateDim: number;
  private readonly actionDim: number;
  private readonly fields: readonly StateField[];
  private readonly periodSeconds: number;
  private readonly statePub: Publisher<'std_msgs/msg/String'>;
  private readonly subscriptions: Subscription[] = [];
  private readonly trialEpisodes = new Set<number>();
  private readonly waiters: (() => void)[] = [];
  /** Ticks of the trial being run; the episode is that of its first tick. */
  private collecting: { episode: number | null; ticks: ObservedTick[] } | null = null;
  /** The newest tick since the current wait began (null before one arrives). */
  private latest: ObservedTick | null = null;
  private awaitingReady = false;
  private ready = false;
  private running = false;

  constructor(
    private readonly node: RuntimeNode,
    private readonly options: TrialRunnerOptions,
  ) {
    const { task, reset } = options;
    this.stateDim = task.state.length;
    this.actionDim = task.action.length;
    this.fields = task.state;
    this.periodSeconds = options.periodSeconds ?? task.dt;
    if (reset.type === 'pd' && !options.resetPolicy)
      throw new RangeError(
        "reset type pd needs resetPolicy (the JointPdPolicy in the controller's reset slot)",
      );
    const topics = options.topics ?? {};
    this.statePub = node.createPublisher('std_msgs/msg/String', topics.state ?? 'trial/state', {
      qos: 'latched',
    });
    this.subscriptions.push(
      node.createSubscription(
        'mbrl_msgs/msg/ControlTick',
        topics.ticks ?? 'control_ticks',
        (m) => this.onTick(m),
        {
          qos: 'record',
        },
      ),
    );
    if (reset.type === 'operator')
      this.subscriptions.push(
        node.createSubscription('std_msgs/msg/Bool', reset.topic, (m) => this.onReady(m.data, reset.topic)),
      );
    this.statePub.publish({ data: 'idle' });
  }

  /** Resets the robot to `start`, then runs one trial of `steps` control periods in the trial mode. */
  async runTrial(start: ArrayLike<number>, steps: number): Promise<TrialResult> {
    if (start.length !== this.stateDim)
      throw new RangeError(
        `start state has ${start.length} entries, task ${this.options.task.name} has ${this.stateDim}`,
      );
    if (!(Number.isInteger(steps) && steps >= 1))
      throw new RangeError(`trial steps must be a positive integer, got ${steps}`);
    if (this.running) throw new Error('a trial is already running');
    this.running = true;
    try {
      const reset = await this.reset(start);
      return await this.trial(start, steps, reset);
    } finally {
      this.running = false;
    }
  }

  /**
   * A sink that passes on only the transitions of trial episodes (put it between the data
   * logger and the log): reset ticks (source `reset`) are not samples of the policy being
   * learned, so an LQR-FLM log holds only trials.
   */
  trialSink(sink: TransitionSink): TransitionSink {
    return {
      append: (record: TransitionRecord) => {
        if (this.trialEpisodes.has(record.episode)) sink.append(record);
      },
    };
  }

  /** Resolves on the controller's next tick (real time); rejects after the tick timeout. */
  nextTick(): Promise<void> {
    const seconds = this.options.tickTimeoutSeconds ?? Math.max(1, 20 * this.periodSeconds);
    return new Promise((resolve, reject) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no control tick for ${seconds} s: is the controller running?`));
      }, seconds * 1000);
      this.waiters.push(waiter);
    });
  }

  destroy(): void {
    for (const s of this.subscriptions) s.destroy();
  }

  private async reset(start: ArrayLike<number>): Promise<ResetOutcome> {
    const { reset, controller } = this.options;
    switch (reset.type) {
      case 'teleport':
        if (!this.options.driver.teleport)
          throw new Error(
            'reset type teleport needs a simulator; on a robot configure controller.reset as pd or operator',
          );
        // The teleport itself happens when the trial starts, so its tick is the trial's first.
        return { type: 'teleport', periods: 0, seconds: 0, positionError: null, velocityError: null };
      case 'pd': {
        this.options.resetPolicy!.setTargetFromState(start);
        if (!controller.setMode('reset'))
          throw new Error(
            "reset type pd: the controller has no reset policy (give it the reset's JointPdPolicy)",
          );
        controller.resetEpisode();
        this.statePub.publish({ data: 'resetting' });
        const tol = reset;
        const fmt = (v: number | null) => (v === null ? 'unknown (no fresh state)' : v.toPrecision(3));
        return this.waitFor(
          'pd',
          reset.timeout_s,
          start,
          (tick) => {
            // Only a tick that acted on fresh state under the PD tells where the robot is.
            if (!tick || tick.safeReason !== '' || tick.mode !== 'reset') return false;
            const e = this.startError(tick.state, start);
            return e.position <= tol.position_tolerance && e.velocity <= tol.velocity_tolerance;
          },
          (o, within) =>
            `pd reset did not reach the start pose within ${within}: ` +
            `max |q - q0| = ${fmt(o.positionError)} (tolerance ${tol.position_tolerance}), ` +
            `max |qdot| = ${fmt(o.velocityError)} (tolerance ${tol.velocity_tolerance})`,
        );
      }
      case 'operator': {
        controller.setMode('stop');
        controller.resetEpisode();
        this.ready = false;
        this.awaitingReady = true;
        this.statePub.publish({ data: 'waiting_for_operator' });
        this.node.logger.info(`waiting for true on ${reset.topic} (timeout ${reset.timeout_s} s)`);
        try {
          return await this.waitFor(
            'operator',
            reset.timeout_s,
            start,
            () => this.ready,
            (_o, within) => `operator reset: no true on ${reset.topic} within ${within}`,
          );
        } finally {
          this.awaitingReady = false;
        }
      }
    }
  }

  /**
   * Lets control periods pass until `done` or the timeout (node clock, with a period-count
   * backstop); on timeout stops the controller and throws with `failure`'s description.
   */
  private async waitFor(
    type: ResetOutcome['type'],
    timeoutSeconds: number,
    start: ArrayLike<number>,
    done: (tick: ObservedTick | null) => boolean,
    failure: (outcome: ResetOutcome, within: string) => string,
  ): Promise<ResetOutcome> {
    this.latest = null;
    const started = this.nowSeconds();
    // A clock that stopped would never reach the timeout; twice the periods it should take is
    // the backstop (in lockstep the clock always gets there first).
    const maxPeriods = 2 * Math.ceil(timeoutSeconds / this.periodSeconds) + 2;
    for (let periods = 1; ; periods++) {
      await this.period();
      // Set by onTick while the period ran (TypeScript cannot see that through the await).
      const tick = this.latest as ObservedTick | null;
      const error = tick ? this.startError(tick.state, start) : null;
      const outcome: ResetOutcome = {
        type,
        periods,
        seconds: this.nowSeconds() - started,
        positionError: error?.position ?? null,
        velocityError: error?.velocity ?? null,
      };
      if (done(tick)) return outcome;
      // 1 ns of slack: node-clock seconds are floats of integer nanoseconds.
      if (outcome.seconds >= timeoutSeconds - 1e-9 || periods >= maxPeriods) {
        this.options.controller.setMode('stop');
        this.statePub.publish({ data: 'reset_failed' });
        throw new ResetTimeoutError(
          `${failure(outcome, `${timeoutSeconds} s (${periods} control periods)`)}; controller stopped`,
          outcome,
        );
      }
    }
  }

  private async trial(start: ArrayLike<number>, steps: number, reset: ResetOutcome): Promise<TrialResult> {
    const { controller, driver } = this.options;
    controller.setMode(this.options.trialMode ?? 'lqr');
    controller.resetEpisode({ steps });
    const collected = { episode: null as number | null, ticks: [] as ObservedTick[] };
    this.collecting = collected;
    this.statePub.publish({ data: 'running' });
    try {
      let periods = 0;
      if (reset.type === 'teleport') {
        driver.teleport!(start);
        periods++;
      }
      const ended = () => collected.ticks.length > 0 && collected.ticks[collected.ticks.length - 1].terminal;
      while (!ended()) {
        if (periods > steps + 1)
          throw new Error(
            `trial did not end after ${periods} control periods (expected ${steps + 1} ticks, saw ${collected.ticks.length})`,
          );
        await this.period();
        periods++;
      }
    } finally {
      this.collecting = null;
      this.statePub.publish({ data: 'idle' });
    }
    const ticks = collected.ticks;
    ticks.forEach((tick, i) => {
      if (tick.step !== i)
        throw new Error(`trial episode ${tick.episode}: tick ${i} has step ${tick.step} (a tick was lost)`);
    });
    if (ticks.length !== steps + 1)
      throw new Error(`trial episode ${collected.episode}: ${ticks.length} ticks, expected ${steps + 1}`);
    return {
      episode: collected.episode!,
      states: ticks.map((t) => t.state),
      actions: ticks.slice(0, steps).map((t) => t.action),
      startTime: ticks[0].time,
      safeTicks: ticks.slice(0, steps).filter((t) => t.safeReason !== '').length,
      reset,
    };
  }

  private period(): Promise<void> | void {
    const { advance } = this.options.driver;
    if (advance) advance();
    else return this.nextTick();
  }

  private onTick(msg: ControlTickMsg): void {
    if (msg.state.length === this.stateDim && msg.action.length === this.actionDim) {
      const tick: ObservedTick = {
        time: timeToSeconds(msg.header.stamp),
        episode: msg.episode,
        step: msg.step,
        terminal: msg.terminal,
        state: Float64Array.from(msg.state),
        action: Float64Array.from(msg.action),
        mode: msg.mode,
        safeReason: msg.safe_reason,
      };
      this.latest = tick;
      const trial = this.collecting;
      if (trial) {
        // After resetEpisode the controller's next tick opens the trial's episode.
        if (trial.episode === null) {
          trial.episode = tick.episode;
          this.trialEpisodes.add(tick.episode);
        }
        if (tick.episode === trial.episode) trial.ticks.push(tick);
      }
    } else {
      this.node.logger.warn(
        `ignored control tick with ${msg.state.length} state and ${msg.action.length} action entries (task: ${this.stateDim}, ${this.actionDim})`,
      );
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  private onReady(value: unknown, topic: string): void {
    if (typeof value !== 'boolean') {
      this.node.logger.warn(`ignored ${topic} message with data ${String(value)} (expected a boolean)`);
      return;
    }
    if (value && this.awaitingReady) this.ready = true;
  }

  /** Largest position error to `start` (angles wrapped where declared) and largest speed. */
  private startError(state: Float64Array, start: ArrayLike<number>): { position: number; velocity: number } {
    let position = 0;
    let velocity = 0;
    this.fields.forEach((field, i) => {
      if (field.quantity === 'velocity') velocity = Math.max(velocity, Math.abs(state[i]));
      else {
        const d = state[i] - start[i];
        position = Math.max(position, Math.abs(field.wrap ? wrapAngle(d) : d));
      }
    });
    return { position, velocity };
  }

  private nowSeconds(): number {
    return timeToSeconds(this.node.now());
  }
}
