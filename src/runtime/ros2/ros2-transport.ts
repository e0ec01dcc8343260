/**
 * The ROS 2 transport: the node API (../node-api.ts) over rclnodejs. rclnodejs is loaded at run
 * time (load-rclnodejs.ts) and used only through the structural API in rclnodejs-api.ts.
 *
 * STATIC ASSUMPTIONS (checked only by `tsc -p tsconfig.ros2.json`, not by any test here unless
 * ROS 2 is sourced): the rclnodejs call shapes; that publish() accepts our plain message objects;
 * that serializationMode 'plain' delivers number arrays as plain arrays; that timers created on a
 * node use its ROS clock (so follow /clock under use_sim_time); that PARAMETER_INTEGER values are
 * bigint at run time.
 */
import { errorText } from '../error-text.js';
import type { MessageTypeName, MessageTypes } from '../messages.js';
import {
  lifecycleHandlerFor,
  runLifecycleHandler,
  type HandlerOutcome,
} from '../lifecycle/lifecycle-state-machine.js';
import type {
  Clock,
  LifecycleHandlers,
  LifecycleResult,
  LifecycleState,
  LifecycleTransition,
  Logger,
  ManagedNode,
  NodeOptions,
  ParameterChangeListener,
  ParameterDescriptor,
  ParameterValue,
  Publisher,
  PublisherOptions,
  RuntimeNode,
  SetParameterResult,
  Subscription,
  SubscriptionOptions,
  Timer,
  TimerOptions,
  TimerTick,
  Transport,
} from '../node-api.js';
import { resolveQoS } from '../qos.js';
import type { TimeMsg } from '../time.js';
import { fullyQualifiedNodeName, normalizeNamespace, resolveTopicName } from '../topic-names.js';
import { validateTimerPeriod } from '../wall-timer.js';
import { loadRclnodejs, type LoadRclnodejsOptions } from './load-rclnodejs.js';
import { toRclQoSSettings } from './qos-mapping.js';
import {
  RCL_LIFECYCLE_RETURN,
  RCL_PARAMETER_TYPE,
  type RclContext,
  type RclLifecycleNode,
  type RclLifecycleState,
  type RclEndpointOptions,
  type RclNode,
  type RclNodeOptions,
  type RclnodejsModule,
  type RclParameter,
  type RclRange,
  type RclTime,
} from './rclnodejs-api.js';

/**
 * Message types of this repository's own interface package, ros/mbrl_msgs. Unlike the standard
 * types, they exist for rclnodejs only once that package is built, sourced and its JavaScript
 * bindings generated, so endpoints of these types check first (checkRosInterfaceAvailable).
 */
const REPO_INTERFACE_TYPES: ReadonlySet<MessageTypeName> = new Set<MessageTypeName>([
  'mbrl_msgs/msg/ControlTick',
]);

/** Loads a message type by name, throwing when it cannot (rclnodejs's `require`). */
export type RosInterfaceLookup = (typeName: string) => unknown;

/** The message of the Error thrown when a type of ros/mbrl_msgs cannot be loaded. */
export function rosInterfaceMissingMessage(typeName: string, topic: string, reason: string): string {
  const pkg = typeName.split('/')[0];
  return [
    `cannot use topic '${topic}' over ROS 2: message type '${typeName}' has no ROS 2 interface ` +
      `package yet in this environment (rclnodejs cannot load it).`,
    'To fix it:',
    `  1. Build and source the ${pkg} interface package (ros/${pkg} in this repository; colcon`,
    `     does not look inside the mbrl_control package, so link ros/${pkg} into the`,
    "     workspace's src first), from the workspace root:",
    `       colcon build --packages-select ${pkg}`,
    '       source install/setup.bash',
    "  2. With it sourced, regenerate rclnodejs's message bindings in this package:",
    '       npx generate-ros-messages',
    'Or use the in-process transport for this topic, or keep the topic off the ROS 2 graph.',
    `Underlying error: ${reason}`,
  ].join('\n');
}

/**
 * Throws an actionable Error when `typeName` is a type of ros/mbrl_msgs that `lookup` cannot
 * load (without a lookup, such a type counts as unavailable). Standard types are not checked.
 */
export function checkRosInterfaceAvailable(
  typeName: MessageTypeName,
  topic: string,
  lookup?: RosInterfaceLookup,
): void {
  if (!REPO_INTERFACE_TYPES.has(typeName)) return;
  let reason = 'no rclnodejs module to look the type up with';
  if (lookup !== undefined) {
    try {
      lookup(typeName);
      return;
    } catch (err) {
      reason = errorText(err);
    }
  }
  throw new Error(rosInterfaceMissingMessage(typeName, topic, reason));
}

function timeFromRcl(t: RclTime): TimeMsg {
  const { seconds, nanoseconds } = t.secondsAndNanoseconds;
  return { sec: Number(seconds), nanosec: Number(nanoseconds) };
}

/** Whether the node's TimeSource follows /clock (its use_sim_time, from overrides or the command line). */
function usesSimTime(node: RclNode): boolean {
  return node.hasParameter('use_sim_time') && node.getParameter('use_sim_time').value === true;
}

function secondsFromNs(ns: bigint): number {
  return Number(ns) / 1e9;
}

/** Which rcl parameter type a default value (and descriptor) declares. */
export function rclParameterType(value: ParameterValue, integer: boolean): number {
  const T = RCL_PARAMETER_TYPE;
  if (typeof value === 'boolean') return T.BOOL;
  if (typeof value === 'string') return T.STRING;
  if (typeof value === 'number') return integer ? T.INTEGER : T.DOUBLE;
  // An empty array says nothing about its element type: take number[] (double, or integer).
  if (value.length === 0) return integer ? T.INTEGER_ARRAY : T.DOUBLE_ARRAY;
  const first = value[0];
  if (typeof first === 'boolean') return T.BOOL_ARRAY;
  if (typeof first === 'string') return T.STRING_ARRAY;
  return integer ? T.INTEGER_ARRAY : T.DOUBLE_ARRAY;
}

/** Our value as rclnodejs wants it for `type`: integers as bigint. Throws on a non-integer. */
export function toRclParameterValue(value: ParameterValue, type: number): unknown {
  const toBig = (n: unknown): bigint => {
    if (typeof n !== 'number' || !Number.isInteger(n)) throw new Error(`${String(n)} is not an integer`);
    return BigInt(n);
  };
  if (type === RCL_PARAMETER_TYPE.INTEGER) return toBig(value);
  if (type === RCL_PARAMETER_TYPE.INTEGER_ARRAY) {
    if (!Array.isArray(value)) throw new Error(`${JSON.stringify(value)} is not an integer array`);
    return value.map(toBig);
  }
  return Array.isArray(value) ? [...value] : value;
}

/** rclnodejs's parameter value back as ours: bigint -> number, typed arrays -> arrays. */
export function fromRclParameterValue(value: unknown): ParameterValue {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    return Array.from(value as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v)) as
      boolean[] | number[] | string[];
  }
  throw new Error(`unsupported parameter value ${String(value)}`);
}

class Ros2Logger implements Logger {
  constructor(private readonly rcl: ReturnType<RclNode['getLogger']>) {}
  get name(): string {
    return this.rcl.name;
  }
  debug(message: string): void {
    this.rcl.debug(message);
  }
  info(message: string): void {
    this.rcl.info(message);
  }
  warn(message: string): void {
    this.rcl.warn(message);
  }
  error(message: string): void {
    this.rcl.error(message);
  }
  fatal(message: string): void {
    this.rcl.fatal(message);
  }
}

class Ros2Clock implements Clock {
  readonly type: 'system' | 'ros';
  constructor(
    private readonly node: RclNode,
    readonly isSimTime: boolean,
  ) {
    this.type = isSimTime ? 'ros' : 'system';
  }
  now(): TimeMsg {
    return timeFromRcl(this.node.getClock().now());
  }
  nowSeconds(): number {
    return secondsFromNs(this.node.getClock().now().nanoseconds);
  }
}

export class Ros2Node implements RuntimeNode {
  readonly name: string;
  readonly namespace: string;
  readonly fullName: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Subscription and timer callbacks that threw (they are logged, never rethrown). */
  callbackErrors = 0;
  private readonly owned = new Map<object, () => void>();
  private destroyed = false;

  constructor(
    private readonly rcl: RclnodejsModule,
    readonly rclNode: RclNode,
    useSimTime: boolean,
    private readonly onDestroy: (node: Ros2Node) => void,
    /**
     * NodeOptions.parameterOverrides (all but use_sim_time): applied when the parameter is
     * declared, where its descriptor says whether a whole number is an integer or a double.
     */
    private readonly overrides: Readonly<Record<string, ParameterValue>> = {},
  ) {
    this.name = rclNode.name();
    this.namespace = normalizeNamespace(rclNode.namespace());
    this.fullName = fullyQualifiedNodeName(this.name, this.namespace);
    this.logger = new Ros2Logger(rclNode.getLogger());
    this.clock = new Ros2Clock(rclNode, useSimTime);
  }

  private endpointOptions(qos: PublisherOptions['qos']): RclEndpointOptions {
    const s = toRclQoSSettings(resolveQoS(qos));
    return {
      qos: new this.rcl.QoS(s.history, s.depth, s.reliability, s.durability),
      // Plain arrays, not Float64Array etc., so messages match the types in messages.ts.
      enableTypedArray: false,
      serializationMode: 'plain',
    };
  }

  createPublisher<T extends MessageTypeName>(
    typeName: T,
    topic: string,
    options: PublisherOptions = {},
  ): Publisher<T> {
    this.checkAlive('create a publisher');
    const resolved = resolveTopicName(topic, this.name, this.namespace);
    checkRosInterfaceAvailable(typeName, resolved, (t) => this.rcl.require(t));
    const pub = this.rclNode.createPublisher(typeName, resolved, this.endpointOptions(options.qos));
    let alive = true;
    const publisher: Publisher<T> = {
      topic: resolved,
      typeName,
      publish: (message) => {
        if (!alive) throw new Error(`publisher on '${resolved}' of node '${this.fullName}' was destroyed`);
        // rclnodejs accepts plain objects with the .msg field names and converts them itself.
        pub.publish(message);
      },
      subscriptionCount: () => (alive ? pub.subscriptionCount() : 0),
      destroy: () => {
        if (!alive) return;
        alive = false;
        this.owned.delete(publisher);
        this.rclNode.destroyPublisher(pub);
      },
    };
    this.owned.set(publisher, () => publisher.destroy());
    return publisher;
  }

  createSubscription<T extends MessageTypeName>(
    typeName: T,
    topic: string,
    callback: (message: MessageTypes[T]) => void,
    options: SubscriptionOptions = {},
  ): Subscription<T> {
    this.checkAlive('create a subscription');
    const resolved = resolveTopicName(topic, this.name, this.namespace);
    checkRosInterfaceAvailable(typeName, resolved, (t) => this.rcl.require(t));
    const sub = this.rclNode.createSubscription(
      typeName,
      resolved,
      this.endpointOptions(options.qos),
      (msg) => {
        try {
          // With serializationMode 'plain' the message has the shape of messages.ts (static assumption).
          callback(msg as MessageTypes[T]);
        } catch (err) {
          this.callbackErrors += 1;
          this.logger.error(
            `subscription callback of node '${this.fullName}' on '${resolved}' (${typeName}) threw: ${errorText(err)}`,
          );
          if (err instanceof Error && err.stack !== undefined) this.logger.debug(err.stack);
        }
      },
    );
    let alive = true;
    const subscription: Subscription<T> = {
      topic: resolved,
      typeName,
      destroy: () => {
        if (!alive) return;
        alive = false;
        this.owned.delete(subscription);
        this.rclNode.destroySubscription(sub);
      },
    };
    this.owned.set(subscription, () => subscription.destroy());
    return subscription;
  }

  /** `precise` is not supported: rcl timers wake from the rclnodejs event loop. */
  createTimer(periodSeconds: number, callback: (tick: TimerTick) => void, options: TimerOptions = {}): Timer {
    this.checkAlive('create a timer');
    validateTimerPeriod(periodSeconds);
    if (options.precise === true) {
      this.logger.debug(`timer of node '${this.fullName}': 'precise' is ignored on the ROS 2 transport`);
    }
    const periodNs = BigInt(Math.max(1, Math.round(periodSeconds * 1e9)));
    let lastExpected: bigint | undefined;
    const rclTimer = this.rclNode.createTimer(periodNs, (info) => {
      const nowNs = this.rclNode.getClock().now().nanoseconds;
      const expectedNs = info?.expectedCallTime ?? nowNs;
      const missed =
        lastExpected === undefined ? 0 : Math.max(0, Number((expectedNs - lastExpected) / periodNs) - 1);
      lastExpected = expectedNs;
      const tick: TimerTick = {
        expected: secondsFromNs(expectedNs),
        actual: secondsFromNs(info?.actualCallTime ?? nowNs),
        missed,
      };
      try {
        callback(tick);
      } catch (err) {
        this.callbackErrors += 1;
        this.logger.error(`timer callback of node '${this.fullName}' threw: ${errorText(err)}`);
        if (err instanceof Error && err.stack !== undefined) this.logger.debug(err.stack);
      }
    });
    let canceled = false;
    const timer: Timer = {
      periodSeconds,
      cancel: () => {
        if (canceled) return;
        canceled = true;
        this.owned.delete(timer);
        this.rclNode.destroyTimer(rclTimer);
      },
      isCanceled: () => canceled,
    };
    this.owned.set(timer, () => timer.cancel());
    return timer;
  }

  declareParameter<V extends ParameterValue>(
    name: string,
    defaultValue: V,
    descriptor: ParameterDescriptor = {},
  ): V {
    this.checkAlive('declare a parameter');
    const integer = descriptor.integer === true;
    const type = rclParameterType(defaultValue, integer);
    const label = `parameter '${name}' of node '${this.fullName}'`;
    let range: RclRange | undefined;
    if (descriptor.range !== undefined) {
      const { min, max, step } = descriptor.range;
      range = integer
        ? new this.rcl.IntegerRange(BigInt(min), BigInt(max), BigInt(step ?? 0))
        : new this.rcl.FloatingPointRange(min, max, step ?? 0);
    }
    try {
      const rclDescriptor = new this.rcl.ParameterDescriptor(
        name,
        type,
        descriptor.description ?? '',
        descriptor.readOnly ?? false,
        range,
      );
      // NodeOptions.parameterOverrides win over the default; a --params-file override (applied
      // by rclnodejs itself in declareParameter) wins over both.
      const initial = Object.hasOwn(this.overrides, name) ? this.overrides[name] : defaultValue;
      if (rclParameterType(initial, integer) !== type)
        throw new Error(
          `override ${JSON.stringify(initial)} does not match the declared type of the default`,
        );
      if (integer && typeof initial === 'number' && !Number.isInteger(initial))
        throw new Error(`override ${initial} is not an integer`);
      const parameter = new this.rcl.Parameter(name, type, toRclParameterValue(initial, type));
      const declared = this.rclNode.declareParameter(parameter, rclDescriptor);
      return fromRclParameterValue(declared.value) as V;
    } catch (err) {
      throw new Error(`${label}: ${errorText(err)}`, { cause: err });
    }
  }

  private declared(name: string): RclParameter {
    const p = this.rclNode.hasParameter(name) ? this.rclNode.getParameter(name) : undefined;
    if (p === undefined || p.type === RCL_PARAMETER_TYPE.NOT_SET) {
      throw new Error(`parameter '${name}' of node '${this.fullName}' is not declared`);
    }
    return p;
  }

  getParameter(name: string): ParameterValue {
    return fromRclParameterValue(this.declared(name).value);
  }

  setParameter(name: string, value: ParameterValue): SetParameterResult {
    const label = `parameter '${name}' of node '${this.fullName}'`;
    let current: RclParameter;
    try {
      current = this.declared(name);
    } catch (err) {
      return { successful: false, reason: errorText(err) };
    }
    try {
      const parameter = new this.rcl.Parameter(name, current.type, toRclParameterValue(value, current.type));
      const result = this.rclNode.setParameter(parameter);
      return {
        successful: result.successful,
        reason: result.successful ? '' : `${label}: ${result.reason}`,
      };
    } catch (err) {
      // rclnodejs throws (rather than returning a failed result) for a value of the wrong type.
      return { successful: false, reason: `${label}: ${errorText(err)}` };
    }
  }

  /**
   * Listeners run after a successful set, from this process or a remote `ros2 param set`.
   * Uses rclnodejs's post-set callback: an on-set callback would fire before validation.
   */
  onParameterChange(listener: ParameterChangeListener): () => void {
    const callback = (parameters: RclParameter[]): void => {
      for (const p of parameters) {
        try {
          listener(p.name, fromRclParameterValue(p.value));
        } catch (err) {
          this.logger.error(
            `parameter change listener for parameter '${p.name}' of node '${this.fullName}' threw: ${errorText(err)}`,
          );
        }
      }
    };
    this.rclNode.addPostSetParametersCallback(callback);
    return () => this.rclNode.removePostSetParametersCallback(callback);
  }

  now(): TimeMsg {
    return timeFromRcl(this.rclNode.now());
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const dispose of [...this.owned.values()]) dispose();
    this.owned.clear();
    this.rclNode.stop();
    this.rclNode.destroy();
    this.onDestroy(this);
  }

  private checkAlive(action: string): void {
    if (this.destroyed) throw new Error(`node '${this.fullName}' has been destroyed; cannot ${action}`);
  }
}

export interface Ros2TransportOptions {
  /** ROS arguments, e.g. ['--ros-args', '--params-file', 'robot.yaml']; default none. */
  args?: string[];
  /** DDS domain; default ROS_DOMAIN_ID / 0. */
  domainId?: number;
  /** Where to load rclnodejs from (tests). */
  loader?: LoadRclnodejsOptions;
}

export class Ros2Transport implements Transport {
  readonly kind = 'ros2' as const;
  private readonly nodes = new Map<string, Ros2Node>();
  private closed = false;

  private constructor(
    readonly rcl: RclnodejsModule,
    private readonly context: RclContext | undefined,
  ) {}

  /** Loads rclnodejs and initializes rcl; throws an actionable Error when ROS 2 is not available. */
  static async create(options: Ros2TransportOptions = {}): Promise<Ros2Transport> {
    const rcl = await loadRclnodejs(options.loader);
    // rclnodejs shuts every context down on SIGINT; the process's own shutdown must come first
    // (deactivate: the safe command goes out over ROS 2), so it handles the signals itself.
    rcl.removeSignalHandlers();
    let context: RclContext | undefined;
    if (options.domainId !== undefined) {
      if (!Number.isInteger(options.domainId) || options.domainId < 0) {
        throw new RangeError(`ROS domain id must be a non-negative integer, got ${options.domainId}`);
      }
      context = new rcl.Context(BigInt(options.domainId));
    }
    // The argv given to init are the global ROS arguments (--params-file, -p, remapping).
    await rcl.init(context, ['node', 'mbrl', ...(options.args ?? [])]);
    return new Ros2Transport(rcl, context);
  }

  createNode(name: string, options: NodeOptions = {}): Ros2Node {
    return this.makeNode(name, options, (...args) => new this.rcl.Node(...args));
  }

  /**
   * A managed node on rclnodejs's LifecycleNode (rcl_lifecycle): `ros2 lifecycle set` and the
   * lifecycle services drive it, and every transition runs `handlers` as on the in-process bus.
   */
  createManagedNode(name: string, handlers: LifecycleHandlers, options: NodeOptions = {}): ManagedNode {
    let rclLifecycle: RclLifecycleNode | undefined;
    const node = this.makeNode(name, options, (nodeName, namespace, context, nodeOptions) => {
      rclLifecycle = new this.rcl.lifecycle.LifecycleNode(nodeName, namespace, context, nodeOptions, true);
      return rclLifecycle;
    });
    if (rclLifecycle === undefined)
      throw new Error(`node '${node.fullName}' was not created as a LifecycleNode`);
    return new Ros2ManagedNode(node, rclLifecycle, handlers);
  }

  private makeNode(
    name: string,
    options: NodeOptions,
    construct: (
      name: string,
      namespace: string,
      context: RclContext | undefined,
      options: RclNodeOptions,
    ) => RclNode,
  ): Ros2Node {
    if (this.closed) throw new Error(`cannot create node '${name}': the ROS 2 transport has been shut down`);
    const fullName = fullyQualifiedNodeName(name, options.namespace ?? '/');
    if (this.nodes.has(fullName)) {
      throw new Error(`a node named '${fullName}' already exists in this process`);
    }
    const overrides: Record<string, ParameterValue> = { ...options.parameterOverrides };
    if (overrides.use_sim_time !== undefined && typeof overrides.use_sim_time !== 'boolean') {
      throw new Error(
        `parameter 'use_sim_time' of node '${fullName}': expected boolean, got ${JSON.stringify(overrides.use_sim_time)}`,
      );
    }
    // use_sim_time goes to rclnodejs as an override only when the caller gives it: an override
    // in NodeOptions replaces the command line's (-p, --params-file), which must otherwise
    // decide. rclnodejs's TimeSource declares it and follows /clock when true.
    const explicitSimTime =
      options.useSimTime ??
      (typeof overrides.use_sim_time === 'boolean' ? overrides.use_sim_time : undefined);
    // The rest are applied at declaration, typed by the parameter's descriptor.
    const { use_sim_time: _useSimTime, ...declaredOverrides } = overrides;
    const parameterOverrides =
      explicitSimTime === undefined
        ? []
        : [new this.rcl.Parameter('use_sim_time', RCL_PARAMETER_TYPE.BOOL, explicitSimTime)];
    const rclNode = construct(name, normalizeNamespace(options.namespace ?? '/'), this.context, {
      parameterOverrides,
      automaticallyDeclareParametersFromOverrides: false,
      startParameterServices: true,
    });
    const node = new Ros2Node(
      this.rcl,
      rclNode,
      usesSimTime(rclNode),
      (n) => {
        if (this.nodes.get(n.fullName) === n) this.nodes.delete(n.fullName);
      },
      declaredOverrides,
    );
    this.nodes.set(node.fullName, node);
    rclNode.spin();
    return node;
  }

  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const node of [...this.nodes.values()]) node.destroy();
    if (!this.rcl.isShutdown()) this.rcl.shutdown(this.context);
  }
}

const LIFECYCLE_STATES: readonly LifecycleState[] = ['unconfigured', 'inactive', 'active', 'finalized'];

/**
 * lifecycle_msgs/State ids of the primary states. RUNTIME ONLY: rclnodejs's State has `id` and
 * `label` fields (lib/lifecycle.js) but its .d.ts declares only asMessage(), which the class
 * does not implement; so the state is decoded here, by id, then by label.
 */
const PRIMARY_STATE_IDS: Record<number, LifecycleState> = {
  1: 'unconfigured',
  2: 'inactive',
  3: 'active',
  4: 'finalized',
};

function stateOf(state: RclLifecycleState): LifecycleState {
  const { id, label } = state as { id?: unknown; label?: unknown };
  if (typeof id === 'number' && PRIMARY_STATE_IDS[id]) return PRIMARY_STATE_IDS[id];
  if (typeof label === 'string' && (LIFECYCLE_STATES as readonly string[]).includes(label))
    return label as LifecycleState;
  // A transitional state (read mid-transition): report the conservative one, which commands nothing.
  return 'unconfigured';
}

function returnCode(outcome: HandlerOutcome): number {
  if (outcome.kind === 'success') return RCL_LIFECYCLE_RETURN.SUCCESS;
  return outcome.kind === 'failure' ? RCL_LIFECYCLE_RETURN.FAILURE : RCL_LIFECYCLE_RETURN.ERROR;
}

/** Our lifecycle handlers on rcl_lifecycle's state machine (which also serves the lifecycle services). */
class Ros2ManagedNode implements ManagedNode {
  /** The outcome of the handler that ran last, for trigger()'s reason. */
  private last: HandlerOutcome = { kind: 'success' };

  constructor(
    readonly node: Ros2Node,
    private readonly rclNode: RclLifecycleNode,
    handlers: LifecycleHandlers,
  ) {
    const register = (
      transition: LifecycleTransition,
      add: (callback: (previous: RclLifecycleState) => number) => void,
    ): void =>
      add((previous) => {
        this.last = runLifecycleHandler(lifecycleHandlerFor(handlers, transition, stateOf(previous)));
        this.report(transition, this.last);
        return returnCode(this.last);
      });
    register('configure', (cb) => rclNode.registerOnConfigure(cb));
    register('activate', (cb) => rclNode.registerOnActivate(cb));
    register('deactivate', (cb) => rclNode.registerOnDeactivate(cb));
    register('cleanup', (cb) => rclNode.registerOnCleanup(cb));
    register('shutdown', (cb) => rclNode.registerOnShutdown(cb));
    rclNode.registerOnError(() => {
      const failed = this.last;
      const recovery = runLifecycleHandler(
        handlers.onError && (() => handlers.onError?.(failed.kind === 'success' ? undefined : failed.error)),
      );
      return recovery.kind === 'success' ? RCL_LIFECYCLE_RETURN.SUCCESS : RCL_LIFECYCLE_RETURN.ERROR;
    });
  }

  get state(): LifecycleState {
    return stateOf(this.rclNode.currentState);
  }

  trigger(transition: LifecycleTransition): LifecycleResult {
    const label = `lifecycle transition '${transition}' of node '${this.node.fullName}'`;
    const from = this.state;
    this.last = { kind: 'success' };
    try {
      this.rclNode[transition]();
    } catch (err) {
      // rclnodejs throws for a transition that is not valid from the current state.
      return { successful: false, state: this.state, reason: `${label} from '${from}': ${errorText(err)}` };
    }
    // Set by the handler that the transition ran (TypeScript cannot see that through the call).
    const outcome = this.last as HandlerOutcome;
    if (outcome.kind === 'success') return { successful: true, state: this.state, reason: '' };
    return {
      successful: false,
      state: this.state,
      reason: `${label} ${outcome.kind === 'failure' ? 'failed' : 'raised an error'}: ${errorText(outcome.error)}`,
    };
  }

  private report(transition: LifecycleTransition, outcome: HandlerOutcome): void {
    if (outcome.kind === 'success') this.node.logger.info(`lifecycle: ${transition} done`);
    else this.node.logger.error(`lifecycle: ${transition} ${outcome.kind}: ${errorText(outcome.error)}`);
  }
}
