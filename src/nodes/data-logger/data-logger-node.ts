/**
 * The data logger as a node: it pairs consecutive control ticks of one episode into
 * transitions (s_t, a_t, s_{t+1}, r_t, done) exactly as the actor saw and did them (the
 * tick message carries the state acted on and the action sent), appends them to a
 * transition sink (the MCAP log), and asks for a model refit every N new transitions or
 * T seconds (std_msgs/String on `refit_request`, JSON { transitions, reason }).
 *
 * Ticks that skip a step, arrive out of order or are malformed produce no transition (a
 * gap is counted and reported, never papered over); a sink that throws is reported and
 * the node keeps running.
 */
import type { Task } from '../../config/task-schema.js';
import {
  TRANSITION_SOURCES,
  type TransitionRecord,
  type TransitionSource,
} from '../../datalog/transition-record.js';
import type { ControlTickMsg } from '../../runtime/messages.js';
import type { Publisher, RuntimeNode, Timer } from '../../runtime/node-api.js';
import { ThrottledWarning } from '../../runtime/throttled-warning.js';
import { timeToSeconds } from '../../runtime/time.js';
import { TaskCost } from '../../tasks/task-cost.js';
import type { ActionSource } from '../../policies/policy.js';

/**
 * The controller's action sources (policies layer) and the log's (datalog layer) are listed in
 * two layers that must not import each other; this fails to compile if the lists drift apart.
 */
type SameSet<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type _SourcesMatch<T extends true = SameSet<ActionSource, TransitionSource>> = T;

export interface TransitionSink {
  append(record: TransitionRecord): void;
}

export interface DataLoggerNodeOptions {
  task: Task;
  sink: TransitionSink;
  topics?: { ticks?: string; refitRequest?: string };
  /** Ask for a refit after this many new transitions; 0 or absent = never. */
  refitEveryTransitions?: number;
  /** Ask for a refit after this many seconds on the node clock (if there is new data); 0 = never. */
  refitEverySeconds?: number;
}

export interface DataLoggerStats {
  ticks: number;
  transitions: number;
  gaps: number;
  rejectedTicks: number;
  sinkErrors: number;
  refitRequests: number;
  /** Ticks before the controller had any state (nothing to log: their state is a placeholder). */
  statelessTicks: number;
}

interface PendingTick {
  stamp: number;
  episode: number;
  step: number;
  terminal: boolean;
  state: Float64Array;
  action: Float64Array;
  source: TransitionSource;
  modelVersion: number;
}

export class DataLoggerNode {
  readonly stats: DataLoggerStats = {
    ticks: 0,
    transitions: 0,
    gaps: 0,
    rejectedTicks: 0,
    sinkErrors: 0,
    refitRequests: 0,
    statelessTicks: 0,
  };
  private readonly cost: TaskCost;
  private readonly refitPub: Publisher<'std_msgs/msg/String'>;
  private readonly refitTimer: Timer | null = null;
  private pending: PendingTick | null = null;
  /** a_{t-1} of the pending tick's episode, for action-rate cost terms. */
  private previousAction: Float64Array | null = null;
  private sinceRefit = 0;
  private readonly warnings: ThrottledWarning;

  constructor(
    private readonly node: RuntimeNode,
    private readonly options: DataLoggerNodeOptions,
  ) {
    this.cost = new TaskCost(options.task);
    this.warnings = new ThrottledWarning(node.logger);
    const topics = options.topics ?? {};
    this.refitPub = node.createPublisher('std_msgs/msg/String', topics.refitRequest ?? 'refit_request');
    node.createSubscription(
      'mbrl_msgs/msg/ControlTick',
      topics.ticks ?? 'control_ticks',
      (m) => this.onTick(m),
      {
        qos: 'record',
      },
    );
    const every = options.refitEverySeconds ?? 0;
    if (every > 0)
      this.refitTimer = node.createTimer(every, () => {
        if (this.sinceRefit > 0) this.requestRefit('timer');
      });
  }

  /** Requests a refit now (e.g. at the end of an episode) if there is new data. */
  requestRefit(reason: string): void {
    this.stats.refitRequests++;
    this.refitPub.publish({ data: JSON.stringify({ transitions: this.stats.transitions, reason }) });
    this.sinceRefit = 0;
  }

  destroy(): void {
    this.refitTimer?.cancel();
  }

  private onTick(msg: ControlTickMsg): void {
    this.stats.ticks++;
    const tick = this.decode(msg);
    if (typeof tick === 'string') {
      this.stats.rejectedTicks++;
      this.warnings.warn(`rejected control tick: ${tick}`);
      return;
    }
    if (msg.has_state === false) {
      // No measurement yet (robot starting up): neither end of a transition.
      this.stats.statelessTicks++;
      this.pending = null;
      this.previousAction = null;
      return;
    }
    const prev = this.pending;
    if (prev && prev.episode === tick.episode && tick.step === prev.step + 1 && !prev.terminal) {
      this.emit(prev, tick);
      this.previousAction = prev.action;
    } else {
      if (prev && !prev.terminal && (prev.episode === tick.episode || tick.step !== 0)) {
        this.stats.gaps++;
        this.warnings.warn(
          `gap in control ticks: episode ${prev.episode} step ${prev.step} then episode ${tick.episode} step ${tick.step}; no transition logged across it`,
        );
      }
      this.previousAction = null;
    }
    this.pending = tick;
  }

  private emit(from: PendingTick, to: PendingTick): void {
    const reward = -this.cost.evaluate(to.state, from.action, this.previousAction);
    try {
      this.options.sink.append({
        stamp: from.stamp,
        episode: from.episode,
        step: from.step,
        state: from.state,
        action: from.action,
        nextState: to.state,
        reward,
        done: to.terminal,
        source: from.source,
        modelVersion: from.modelVersion,
      });
    } catch (error) {
      this.stats.sinkErrors++;
      this.warnings.warn(
        `could not log transition ${from.episode}:${from.step}: ${(error as Error).message}`,
      );
      return;
    }
    this.stats.transitions++;
    this.sinceRefit++;
    const every = this.options.refitEveryTransitions ?? 0;
    if (every > 0 && this.sinceRefit >= every) this.requestRefit(`${every} new transitions`);
  }

  /** Explicit decoder: a tick from the wire is checked field by field. */
  private decode(msg: ControlTickMsg): PendingTick | string {
    const { task } = this.options;
    const S = task.state.length;
    const A = task.action.length;
    if (typeof msg !== 'object' || msg === null) return 'not an object';
    const vector = (name: 'state' | 'action', n: number): Float64Array | string => {
      const v: unknown = msg[name];
      if (!Array.isArray(v) || v.length !== n)
        return `${name} must have ${n} entries, got ${Array.isArray(v) ? v.length : typeof v}`;
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const x: unknown = v[i];
        if (typeof x !== 'number' || !Number.isFinite(x)) return `${name}[${i}] is ${String(x)}`;
        out[i] = x;
      }
      return out;
    };
    const state = vector('state', S);
    if (typeof state === 'string') return state;
    const action = vector('action', A);
    if (typeof action === 'string') return action;
    if (!Number.isInteger(msg.episode) || msg.episode < 0) return `episode is ${String(msg.episode)}`;
    if (!Number.isInteger(msg.step) || msg.step < 0) return `step is ${String(msg.step)}`;
    if (!(TRANSITION_SOURCES as readonly string[]).includes(msg.source))
      return `source "${String(msg.source)}" is unknown`;
    if (!Number.isInteger(msg.model_version) || msg.model_version < 0)
      return `model_version is ${String(msg.model_version)}`;
    let stamp: number;
    try {
      stamp = timeToSeconds(msg.header.stamp);
    } catch {
      return 'header.stamp is malformed';
    }
    if (!Number.isFinite(stamp)) return 'header.stamp is malformed';
    return {
      stamp,
      episode: msg.episode,
      step: msg.step,
      terminal: msg.terminal === true,
      state,
      action,
      source: msg.source as TransitionSource,
      modelVersion: msg.model_version,
    };
  }
}
