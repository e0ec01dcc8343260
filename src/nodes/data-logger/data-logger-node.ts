/**
 * The data logger as a node: it pairs consecutive control ticks of one episode into
 * transitions (s_t, a_t, s_{t+1}, r_t, done) exactly as the actor saw and did them (the
 * tick message carries the state acted on and the action sent), appends them to a
 * transition sink (the MCAP log), and asks for a model refit every N new transitions or
 * T seconds (std_msgs/String on `refit_request`, JSON { transitions, reason }).
 *
 * Ticks that skip a step, arrive out of order or are malformed produce no transition (a
 * gap is counted and reported, never papered over); a sink that throws is reported and
 * the node keeps running. A sink that writes in the background (the MCAP log) is watched:
 * failing writes (a full or read-only disk), dropped records and the recovery are warned
 * about and published on `/diagnostics`, since its own errors never reach the control loop.
 *
 * A sensor that stops (a board that died, a frozen driver) leaves the controller acting on its
 * last measurement until it is found stale or frozen; the ticks before that repeat one state
 * bit for bit, so their transitions would claim s_{t+1} = s_t while the robot moved. Such
 * repeats are held back (at most `holdRepeatsSeconds`) and dropped, never logged as fresh, when
 * a safe tick on that same state follows; otherwise (a robot at rest) they are logged as usual.
 */
import type { Task } from '../../config/task-schema.js';
import {
  TRANSITION_SOURCES,
  type TransitionRecord,
  type TransitionSource,
} from '../../datalog/transition-record.js';
import { DiagnosticLevel, type ControlTickMsg, type DiagnosticStatusMsg } from '../../runtime/messages.js';
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

/** How a sink that writes in the background is doing (TransitionLogWriter's stats). */
export interface TransitionSinkHealth {
  /** Records written and made durable. */
  durable: number;
  /** Records waiting to be written. */
  queued: number;
  /** Records dropped because the queue was full while writes failed. */
  dropped: number;
  /** True while the last write attempt failed. */
  failing: boolean;
  lastError: Error | undefined;
}

export interface TransitionSink {
  append(record: TransitionRecord): void;
  /** Where the records go (a log directory), named in warnings. */
  readonly dir?: string;
  /** Write health of a background writer; checked every `healthPeriodSeconds`. */
  readonly stats?: TransitionSinkHealth;
}

export interface DataLoggerNodeOptions {
  task: Task;
  sink: TransitionSink;
  topics?: { ticks?: string; refitRequest?: string; diagnostics?: string };
  /** Ask for a refit after this many new transitions; 0 or absent = never. */
  refitEveryTransitions?: number;
  /** Ask for a refit after this many seconds on the node clock (if there is new data); 0 = never. */
  refitEverySeconds?: number;
  /** How often a sink with `stats` is checked and its diagnostics published (default 1 s). */
  healthPeriodSeconds?: number;
  /**
   * How long (tick stamps) transitions that repeat their state are held back, waiting to see
   * whether the controller then finds the state stale or frozen; should exceed the controller's
   * stale and frozen timeouts by a period (default 1 s).
   */
  holdRepeatsSeconds?: number;
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
  /** Times the sink started failing (each outage once). */
  sinkOutages: number;
  /** Transitions not logged: they repeated a state the controller then found stale or frozen. */
  frozenTransitions: number;
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
    sinkOutages: 0,
    frozenTransitions: 0,
  };
  private readonly cost: TaskCost;
  private readonly refitPub: Publisher<'std_msgs/msg/String'>;
  private readonly refitTimer: Timer | null = null;
  private readonly healthTimer: Timer | null = null;
  private readonly diagnosticsPub: Publisher<'diagnostic_msgs/msg/DiagnosticArray'> | null = null;
  /** What the health check last saw, so each change is reported once. */
  private readonly sinkSeen = { failing: false, dropped: 0, error: '', warnedAt: -Infinity };
  private pending: PendingTick | null = null;
  /** Transitions whose s_{t+1} repeats s_t bit for bit (all the same state), not yet logged. */
  private held: TransitionRecord[] = [];
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
    if (options.sink.stats !== undefined) {
      this.diagnosticsPub = node.createPublisher(
        'diagnostic_msgs/msg/DiagnosticArray',
        topics.diagnostics ?? '/diagnostics',
      );
      this.healthTimer = node.createTimer(options.healthPeriodSeconds ?? 1, () => this.checkSink());
    }
  }

  /** Requests a refit now (e.g. at the end of an episode) if there is new data. */
  requestRefit(reason: string): void {
    this.stats.refitRequests++;
    this.refitPub.publish({ data: JSON.stringify({ transitions: this.stats.transitions, reason }) });
    this.sinceRefit = 0;
  }

  /** The sink's write health, when it reports one (the MCAP log does). */
  get sinkHealth(): TransitionSinkHealth | undefined {
    return this.options.sink.stats;
  }

  /** Stops the timers; held transitions are logged (nothing showed their state was stale). */
  destroy(): void {
    this.refitTimer?.cancel();
    this.healthTimer?.cancel();
    this.releaseHeld();
  }

  /**
   * Reports what the control loop cannot see: writes failing (each outage, a change of error
   * and a reminder every 10 s while it lasts), records dropped, and the recovery.
   */
  private checkSink(): void {
    const health = this.options.sink.stats;
    if (health === undefined) return;
    const seen = this.sinkSeen;
    const where = this.options.sink.dir ? `transition log ${this.options.sink.dir}` : 'transition sink';
    const error = health.lastError ? errorText(health.lastError) : 'unknown error';
    const now = performance.now();
    if (health.failing) {
      if (!seen.failing) this.stats.sinkOutages++;
      if (!seen.failing || error !== seen.error || now - seen.warnedAt >= 10_000) {
        this.node.logger.warn(
          `${where}: writes failing (${error}); ${health.queued} transitions waiting in memory, written once the disk works again`,
        );
        seen.warnedAt = now;
        seen.error = error;
      }
    } else if (seen.failing) {
      this.node.logger.info(`${where}: writing again (${health.durable} transitions durable)`);
      seen.error = '';
    }
    if (health.dropped > seen.dropped)
      this.node.logger.warn(
        `${where}: ${health.dropped - seen.dropped} transitions dropped (the oldest waiting, to bound memory while writes fail); ${health.dropped} in all`,
      );
    const droppedNow = health.dropped - seen.dropped;
    seen.failing = health.failing;
    seen.dropped = health.dropped;
    this.publishDiagnostics(health, where, error, droppedNow);
  }

  private publishDiagnostics(
    health: TransitionSinkHealth,
    where: string,
    error: string,
    droppedNow: number,
  ): void {
    let level: DiagnosticStatusMsg['level'] = DiagnosticLevel.OK;
    let message = 'writing';
    if (health.failing) {
      level = DiagnosticLevel.ERROR;
      message = `writes failing: ${error}`;
    } else if (droppedNow > 0) {
      level = DiagnosticLevel.WARN;
      message = `${droppedNow} transitions dropped while writes failed`;
    }
    this.diagnosticsPub?.publish({
      header: { stamp: this.node.now(), frame_id: '' },
      status: [
        {
          level,
          name: `${this.node.name}: transition log`,
          message,
          hardware_id: where,
          values: [
            { key: 'transitions', value: String(this.stats.transitions) },
            { key: 'durable', value: String(health.durable) },
            { key: 'queued', value: String(health.queued) },
            { key: 'dropped', value: String(health.dropped) },
            { key: 'failing', value: String(health.failing) },
            { key: 'last_error', value: health.lastError ? errorText(health.lastError) : '' },
            { key: 'gaps', value: String(this.stats.gaps) },
            { key: 'rejected_ticks', value: String(this.stats.rejectedTicks) },
            { key: 'sink_errors', value: String(this.stats.sinkErrors) },
          ],
        },
      ],
    });
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
      this.releaseHeld();
      this.pending = null;
      this.previousAction = null;
      return;
    }
    const prev = this.pending;
    if (prev && prev.episode === tick.episode && tick.step === prev.step + 1 && !prev.terminal) {
      if (this.isFrozenEnd(prev, tick)) this.dropHeld(prev);
      else this.emit(prev, tick);
      this.previousAction = prev.action;
    } else {
      this.releaseHeld();
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

  /**
   * `to` is a safe tick (not the end of an episode) on the very state `from` acted on, and
   * `from` was not safe: the controller just found that state stale or frozen (or stopped on
   * it), so `from`'s transition and the held repeats of that state saw no new measurement.
   */
  private isFrozenEnd(from: PendingTick, to: PendingTick): boolean {
    return to.source === 'safe' && !to.terminal && from.source !== 'safe' && sameState(from.state, to.state);
  }

  private emit(from: PendingTick, to: PendingTick): void {
    const record: TransitionRecord = {
      stamp: from.stamp,
      episode: from.episode,
      step: from.step,
      state: from.state,
      action: from.action,
      nextState: to.state,
      reward: -this.cost.evaluate(to.state, from.action, this.previousAction),
      done: to.terminal,
      source: from.source,
      modelVersion: from.modelVersion,
    };
    // Safe transitions are not trained on by default, so only the others are held back.
    if (record.source === 'safe' || to.terminal || !sameState(from.state, to.state)) {
      this.releaseHeld();
      this.append(record);
      return;
    }
    const first = this.held[0];
    if (first !== undefined && !sameState(first.state, record.state)) this.releaseHeld();
    this.held.push(record);
    // A state refreshed this long without the controller objecting is a robot at rest.
    if (record.stamp - this.held[0].stamp >= (this.options.holdRepeatsSeconds ?? 1)) this.releaseHeld();
  }

  private releaseHeld(): void {
    const held = this.held;
    if (held.length === 0) return;
    this.held = [];
    for (const record of held) this.append(record);
  }

  /** Drops the held repeats and the transition from `last`, counting and reporting them. */
  private dropHeld(last: PendingTick): void {
    const first = this.held[0] ?? last;
    const dropped = this.held.length + 1;
    this.held = [];
    this.stats.frozenTransitions += dropped;
    this.warnings.warn(
      `${dropped} transitions not logged (episode ${last.episode} steps ${first.step}-${last.step}): they repeat a state the controller then found stale or frozen (no new measurement)`,
      'frozen',
    );
  }

  private append(record: TransitionRecord): void {
    try {
      this.options.sink.append(record);
    } catch (error) {
      this.stats.sinkErrors++;
      this.warnings.warn(
        `could not log transition ${record.episode}:${record.step}: ${(error as Error).message}`,
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

/** `ENOSPC: no space left on device, write` already names its code; other errors get theirs. */
function errorText(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}

function sameState(a: Float64Array | ArrayLike<number>, b: Float64Array | ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
