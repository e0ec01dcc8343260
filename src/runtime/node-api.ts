/**
 * The node API every node in src/nodes is written against. It is shaped after rclnodejs
 * (publishers, subscriptions, timers on the node's clock, parameters, a logger) so the
 * ROS 2 transport is a thin adapter, and the in-process bus runs the same nodes with
 * deterministic ordering for tests and lockstep simulation.
 */
import type { MessageTypeName, MessageTypes } from './messages.js';
import type { QoSHint } from './qos.js';
import type { TimeMsg } from './time.js';

export interface Publisher<T extends MessageTypeName> {
  /** Fully resolved topic name, e.g. "/robot/joint_states". */
  readonly topic: string;
  readonly typeName: T;
  /** Delivery is by reference: subscribers must treat messages as immutable. */
  publish(message: MessageTypes[T]): void;
  subscriptionCount(): number;
  destroy(): void;
}

export interface Subscription<T extends MessageTypeName = MessageTypeName> {
  readonly topic: string;
  readonly typeName: T;
  destroy(): void;
}

/** What a timer callback learns about the tick it is serving, in the node clock's seconds. */
export interface TimerTick {
  /** When this tick was due. */
  expected: number;
  /** When the callback actually started. */
  actual: number;
  /** Ticks skipped since the previous callback because the clock jumped or the loop overran. */
  missed: number;
}

export interface TimerOptions {
  precise?: boolean;
}

export interface Timer {
  readonly periodSeconds: number;
  cancel(): void;
  isCanceled(): boolean;
}

export type ParameterValue = boolean | number | string | boolean[] | number[] | string[];

export interface ParameterDescriptor {
  description?: string;
  readOnly?: boolean;
  /** Inclusive numeric range, as rcl_interfaces FloatingPointRange/IntegerRange. */
  range?: { min: number; max: number; step?: number };
  /** Restrict numbers to integers (rcl PARAMETER_INTEGER). */
  integer?: boolean;
}

export interface SetParameterResult {
  successful: boolean;
  reason: string;
}

export type ParameterChangeListener = (name: string, value: ParameterValue) => void;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface Logger {
  readonly name: string;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  fatal(message: string): void;
}

export interface Clock {
  /** 'system' = wall time; 'ros' = follows /clock when use_sim_time is set. */
  readonly type: 'system' | 'ros';
  readonly isSimTime: boolean;
  now(): TimeMsg;
  nowSeconds(): number;
}

export interface PublisherOptions {
  qos?: QoSHint;
}

export interface SubscriptionOptions {
  qos?: QoSHint;
}

export interface RuntimeNode {
  readonly name: string;
  readonly namespace: string;
  readonly logger: Logger;
  readonly clock: Clock;

  createPublisher<T extends MessageTypeName>(
    typeName: T,
    topic: string,
    options?: PublisherOptions,
  ): Publisher<T>;

  /**
   * A callback that throws is reported through the logger (naming node, topic and type)
   * and counted; it never takes the node down.
   */
  createSubscription<T extends MessageTypeName>(
    typeName: T,
    topic: string,
    callback: (message: MessageTypes[T]) => void,
    options?: SubscriptionOptions,
  ): Subscription<T>;

  /**
   * A periodic timer on the node clock: wall time, or /clock time under use_sim_time.
   * `precise` (wall time only): wake a little early and spin to the deadline, for control
   * loops that care about sub-millisecond start jitter; costs up to ~1.5 ms of CPU per tick.
   */
  createTimer(periodSeconds: number, callback: (tick: TimerTick) => void, options?: TimerOptions): Timer;

  /** Declares a parameter; an override given at node creation wins over the default. */
  declareParameter<V extends ParameterValue>(
    name: string,
    defaultValue: V,
    descriptor?: ParameterDescriptor,
  ): V;
  getParameter(name: string): ParameterValue;
  setParameter(name: string, value: ParameterValue): SetParameterResult;
  onParameterChange(listener: ParameterChangeListener): () => void;

  now(): TimeMsg;
  destroy(): void;
}

export interface NodeOptions {
  namespace?: string;
  /** use_sim_time: the node clock follows /clock instead of wall time. */
  useSimTime?: boolean;
  /** Values that win over declared defaults, as from a --params-file. */
  parameterOverrides?: Record<string, ParameterValue>;
}

/** The primary states of a ROS 2 managed node (design.ros2.org/articles/node_lifecycle.html). */
export type LifecycleState = 'unconfigured' | 'inactive' | 'active' | 'finalized';
export type LifecycleTransition = 'configure' | 'activate' | 'deactivate' | 'cleanup' | 'shutdown';

/**
 * What a managed node does on each transition. Handlers are synchronous, as rclnodejs calls
 * them. Returning is SUCCESS; throwing LifecycleTransitionFailure is FAILURE (the node stays
 * where it was); throwing anything else is ERROR (onError runs, then unconfigured or finalized).
 */
export interface LifecycleHandlers {
  onConfigure?(): void;
  onActivate?(): void;
  onDeactivate?(): void;
  onCleanup?(): void;
  /** From any primary state but finalized; `from` says which. */
  onShutdown?(from: Exclude<LifecycleState, 'finalized'>): void;
  /** After an ERROR: return to recover (unconfigured), throw to give up (finalized). */
  onError?(error: unknown): void;
}

export interface LifecycleResult {
  /** True when the handler returned (SUCCESS). */
  successful: boolean;
  state: LifecycleState;
  /** Why it failed, naming the node and the transition. */
  reason: string;
}

/** A node with a lifecycle: the runtime node its parts are built on, and its state machine. */
export interface ManagedNode {
  readonly node: RuntimeNode;
  readonly state: LifecycleState;
  /** Runs a transition locally (a remote `ros2 lifecycle set` drives the same state machine). */
  trigger(transition: LifecycleTransition): LifecycleResult;
}

/** A way of moving messages between nodes: the in-process bus, or ROS 2. */
export interface Transport {
  readonly kind: 'in-process' | 'ros2';
  createNode(name: string, options?: NodeOptions): RuntimeNode;
  /** A managed (lifecycle) node, starting unconfigured; on ROS 2 with the lifecycle services. */
  createManagedNode(name: string, handlers: LifecycleHandlers, options?: NodeOptions): ManagedNode;
  shutdown(): Promise<void>;
}
