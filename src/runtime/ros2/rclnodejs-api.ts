/**
 * A hand-written structural description of exactly the parts of rclnodejs (2.x) that the ROS 2
 * transport uses. It deliberately does not import 'rclnodejs', so the main build compiles on
 * machines without ROS 2 or rclnodejs installed.
 *
 * STATIC ASSUMPTIONS: these shapes are checked against the real rclnodejs declarations only by
 * rclnodejs-conformance.ts (`npx tsc -p tsconfig.ros2.json --noEmit`), never at run time here.
 * Where a shape is documented below as "runtime only", the rclnodejs .d.ts does not declare it
 * and the conformance check cannot see it.
 *
 * Construct signatures and function-valued properties (not method syntax) are used where
 * possible so that the conformance check compares parameter types strictly.
 */

/** rmw QoS policy values (rmw/types.h); rclnodejs's QoS enums carry the same numbers. */
export const RMW_QOS = {
  HISTORY_KEEP_LAST: 1,
  HISTORY_KEEP_ALL: 2,
  RELIABILITY_RELIABLE: 1,
  RELIABILITY_BEST_EFFORT: 2,
  DURABILITY_TRANSIENT_LOCAL: 1,
  DURABILITY_VOLATILE: 2,
} as const;

/**
 * rcl_interfaces/msg/ParameterType values. rclnodejs declares ParameterType as a `const enum`
 * (no value in the .d.ts), so the adapter uses these numbers; the conformance file checks they
 * equal the enum members.
 */
export const RCL_PARAMETER_TYPE = {
  NOT_SET: 0,
  BOOL: 1,
  INTEGER: 2,
  DOUBLE: 3,
  STRING: 4,
  BOOL_ARRAY: 6,
  INTEGER_ARRAY: 7,
  DOUBLE_ARRAY: 8,
  STRING_ARRAY: 9,
} as const;

/** rclnodejs ClockType values (rcl_clock_type_t). */
export const RCL_CLOCK_TYPE = { ROS_TIME: 1, SYSTEM_TIME: 2, STEADY_TIME: 3 } as const;

/** An rclnodejs QoS instance; the adapter only creates it and hands it back to rclnodejs. */
export interface RclQoS {
  history: number;
  depth: number;
  durability: number;
}

export interface RclQoSConstructor {
  new (history?: number, depth?: number, reliability?: number, durability?: number): RclQoS;
}

/** What rclnodejs calls Options: per publisher/subscription settings. */
export interface RclEndpointOptions {
  qos?: RclQoS | string;
  /** false: array fields arrive as plain arrays rather than TypedArrays. */
  enableTypedArray?: boolean;
  /** 'plain' converts TypedArrays to plain arrays before the callback. */
  serializationMode?: 'default' | 'plain' | 'json';
}

export interface RclTime {
  readonly nanoseconds: bigint;
  readonly secondsAndNanoseconds: { seconds: bigint; nanoseconds: bigint };
}

export interface RclClock {
  readonly clockType: number;
  now: () => RclTime;
}

export interface RclLogging {
  readonly name: string;
  debug: (message: string) => boolean;
  info: (message: string) => boolean;
  warn: (message: string) => boolean;
  error: (message: string) => boolean;
  fatal: (message: string) => boolean;
}

/**
 * rclnodejs Parameter. `value` is `any` in rclnodejs; at run time PARAMETER_INTEGER values are
 * bigint and PARAMETER_INTEGER_ARRAY elements are bigint (runtime only, see lib/parameter.js).
 */
export interface RclParameter {
  readonly name: string;
  readonly type: number;
  value: unknown;
}

export interface RclParameterConstructor {
  new (name: string, type: number, value?: unknown): RclParameter;
}

export interface RclRange {
  readonly fromValue: number;
  readonly toValue: number;
  readonly step: number;
}

export interface RclParameterDescriptor {
  readonly name: string;
  readonly type: number;
  readonly description: string;
  readonly readOnly: boolean;
}

/** Declared as a (type-only) class for bivariant parameters: `range` is a Range made by rclnodejs. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export declare class RclParameterDescriptorClass {
  constructor(name: string, type: number, description?: string, readOnly?: boolean, range?: RclRange);
}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface RclParameterDescriptorClass extends RclParameterDescriptor {}

export interface RclSetParametersResult {
  successful: boolean;
  reason: string;
}

export interface RclTimerInfo {
  expectedCallTime: bigint;
  actualCallTime: bigint;
}

export interface RclTimer {
  readonly period: bigint;
  isCanceled: () => boolean;
  cancel: () => void;
}

export interface RclPublisher {
  readonly topic: string;
  // Method syntax: rclnodejs types `message` by its generated interfaces; ours are plain objects.
  publish(message: object): void;
  subscriptionCount: () => number;
}

export interface RclSubscription {
  readonly topic: string;
}

/** What rclnodejs NodeOptions fields the adapter sets (rclnodejs also accepts a plain object: runtime only). */
export interface RclNodeOptions {
  parameterOverrides: RclParameter[];
  automaticallyDeclareParametersFromOverrides: boolean;
  startParameterServices: boolean;
}

export type RclPostSetParametersCallback = (parameters: RclParameter[]) => void;

export interface RclNode {
  name: () => string;
  namespace: () => string;
  getLogger: () => RclLogging;
  getClock: () => RclClock;
  now: () => RclTime;
  spin: (timeout?: number) => void;
  stop: () => void;
  destroy: () => void;
  // Method syntax for the endpoint factories and their destroyers: rclnodejs types these
  // generically over its generated message interfaces, which our message names stand in for.
  createPublisher(typeClass: string, topic: string, options?: RclEndpointOptions): RclPublisher;
  createSubscription(
    typeClass: string,
    topic: string,
    options: RclEndpointOptions,
    callback: (message: object) => void,
  ): RclSubscription;
  destroyPublisher(publisher: RclPublisher): void;
  destroySubscription(subscription: RclSubscription): void;
  createTimer: (period: bigint, callback: (timerInfo?: RclTimerInfo) => void) => RclTimer;
  destroyTimer(timer: RclTimer): void;
  declareParameter(parameter: RclParameter, descriptor?: RclParameterDescriptor): RclParameter;
  hasParameter: (name: string) => boolean;
  getParameter: (name: string) => RclParameter;
  setParameter(parameter: RclParameter): RclSetParametersResult;
  addPostSetParametersCallback(callback: RclPostSetParametersCallback): void;
  removePostSetParametersCallback(callback: RclPostSetParametersCallback): void;
}

/**
 * The Node constructor, declared as a (type-only) class so that TypeScript compares its
 * parameters bivariantly, as for methods: the adapter passes back a Context made by rclnodejs and
 * a plain options object (which rclnodejs 2.x normalizes: runtime only, see Node._normalizeOptions).
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export declare class RclNodeClass {
  constructor(nodeName: string, namespace?: string, context?: RclContext, options?: RclNodeOptions);
}
// Declaration merging: instances of RclNodeClass are RclNodes.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface RclNodeClass extends RclNode {}

/** rclnodejs lifecycle.CallbackReturnCode (a const enum in the .d.ts; the conformance file checks the numbers). */
export const RCL_LIFECYCLE_RETURN = { SUCCESS: 97, FAILURE: 98, ERROR: 99 } as const;

/**
 * A lifecycle State, opaque to the type check: at run time it has `id` and `label` fields
 * (runtime only, lib/lifecycle.js; the .d.ts declares an asMessage() that does not exist), read
 * by ros2-transport.ts's stateOf.
 */
export type RclLifecycleState = object;

/**
 * The handler rclnodejs calls during a transition. Method-syntax registration (below) compares
 * it bivariantly with rclnodejs's TransitionCallback, whose return type is the const enum.
 */
export type RclTransitionCallback = (previous: RclLifecycleState) => number;

/** The parts of rclnodejs's lifecycle.LifecycleNode the adapter uses (it is also a Node). */
export interface RclLifecycleNode extends RclNode {
  readonly currentState: RclLifecycleState;
  registerOnConfigure(callback: RclTransitionCallback): void;
  registerOnActivate(callback: RclTransitionCallback): void;
  registerOnDeactivate(callback: RclTransitionCallback): void;
  registerOnCleanup(callback: RclTransitionCallback): void;
  registerOnShutdown(callback: RclTransitionCallback): void;
  registerOnError(callback: RclTransitionCallback): void;
  configure: () => RclLifecycleState;
  activate: () => RclLifecycleState;
  deactivate: () => RclLifecycleState;
  cleanup: () => RclLifecycleState;
  shutdown: () => RclLifecycleState;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export declare class RclLifecycleNodeClass {
  constructor(
    nodeName: string,
    namespace?: string,
    context?: RclContext,
    options?: RclNodeOptions,
    enableCommunicationInterface?: boolean,
  );
}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface RclLifecycleNodeClass extends RclLifecycleNode {}

export interface RclContext {
  domainId: () => bigint;
}

export interface RclnodejsModule {
  // Method syntax where the adapter passes rclnodejs-made objects back (context, options):
  // parameters are then compared bivariantly, so our narrower views of those objects conform.
  init(context?: RclContext, argv?: string[]): Promise<void>;
  shutdown(context?: RclContext): void;
  isShutdown: () => boolean;
  /** Drops rclnodejs's own SIGINT handler (which shuts every context down at once). */
  removeSignalHandlers: () => void;
  /**
   * Loads a generated interface by name ('mbrl_msgs/msg/ControlTick'); throws when rclnodejs
   * has no bindings for it (after trying to generate them from a sourced package). Method
   * syntax: rclnodejs overloads it over its generated type names.
   */
  require(name: string): object;
  Context: new (domainId?: bigint) => RclContext;
  Node: typeof RclNodeClass;
  lifecycle: { LifecycleNode: typeof RclLifecycleNodeClass };
  QoS: RclQoSConstructor;
  Parameter: RclParameterConstructor;
  ParameterDescriptor: typeof RclParameterDescriptorClass;
  FloatingPointRange: new (from: number, to: number, step?: number) => RclRange;
  IntegerRange: new (from: bigint, to: bigint, step?: bigint) => RclRange;
}
