/**
 * A node on the in-process bus. It owns its publishers, subscriptions and timers so destroy()
 * removes them all, resolves topic names like rcl, and reports failing callbacks through its
 * logger instead of letting them escape into other nodes.
 */
import { SystemClock } from './clocks.js';
import { errorText } from './error-text.js';
import type { MessageRouter } from './message-router.js';
import type { MessageTypeName, MessageTypes } from './messages.js';
import type {
  Clock,
  Logger,
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
} from './node-api.js';
import { ParameterStore } from './parameters.js';
import { resolveQoS } from './qos.js';
import type { SimTimeline } from './sim-timeline.js';
import type { TimeMsg } from './time.js';
import { fullyQualifiedNodeName, normalizeNamespace, resolveTopicName } from './topic-names.js';
import { WallTimer, type TimerHooks } from './wall-timer.js';

/** What a node needs from its bus. */
export interface BusNodeContext {
  router: MessageRouter;
  timeline: SimTimeline;
  makeLogger: (loggerName: string) => Logger;
  onTimerError: (node: BusNode) => void;
  onDestroy: (node: BusNode) => void;
}

/** rclcpp's logger name for a node: the fully qualified name with '.' for '/', no leading dot. */
export function nodeLoggerName(fullName: string): string {
  return fullName.slice(1).replaceAll('/', '.');
}

export class BusNode implements RuntimeNode {
  readonly name: string;
  /** Normalized: "/" or "/robot". */
  readonly namespace: string;
  /** "/robot/controller": unique on the bus, used in every error message. */
  readonly fullName: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly parameters: ParameterStore;
  /** Dispose functions of everything this node created, keyed by the endpoint. */
  private readonly owned = new Map<object, () => void>();
  private destroyed = false;

  constructor(
    name: string,
    options: NodeOptions,
    private readonly context: BusNodeContext,
  ) {
    this.fullName = fullyQualifiedNodeName(name, options.namespace ?? '/');
    this.name = name;
    this.namespace = normalizeNamespace(options.namespace ?? '/');
    this.logger = context.makeLogger(nodeLoggerName(this.fullName));
    const overrides = { ...options.parameterOverrides };
    // use_sim_time may come from a params file (as with --ros-args -p use_sim_time:=true).
    if (overrides.use_sim_time !== undefined && typeof overrides.use_sim_time !== 'boolean') {
      throw new Error(
        `parameter 'use_sim_time' of node '${this.fullName}': expected boolean, got ${JSON.stringify(overrides.use_sim_time)}`,
      );
    }
    const useSimTime = options.useSimTime ?? overrides.use_sim_time === true;
    overrides.use_sim_time = useSimTime;
    this.parameters = new ParameterStore(this.fullName, overrides, this.logger);
    this.parameters.declare('use_sim_time', false, {
      readOnly: true,
      description: 'Follow /clock instead of wall time (fixed at node creation).',
    });
    this.clock = useSimTime ? context.timeline.clock : new SystemClock();
  }

  createPublisher<T extends MessageTypeName>(
    typeName: T,
    topic: string,
    options: PublisherOptions = {},
  ): Publisher<T> {
    this.checkAlive('create a publisher');
    const resolved = resolveTopicName(topic, this.name, this.namespace);
    const publisher: Publisher<T> = this.context.router.advertise(
      this,
      typeName,
      resolved,
      resolveQoS(options.qos),
      {
        onDestroy: () => this.owned.delete(publisher),
      },
    );
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
    const subscription: Subscription<T> = this.context.router.subscribe(
      this,
      typeName,
      resolved,
      callback,
      resolveQoS(options.qos),
      { onDestroy: () => this.owned.delete(subscription) },
    );
    // A transient_local replay runs callbacks inside subscribe(); one of them may destroy this node.
    if (this.destroyed) subscription.destroy();
    else this.owned.set(subscription, () => subscription.destroy());
    return subscription;
  }

  createTimer(periodSeconds: number, callback: (tick: TimerTick) => void, options: TimerOptions = {}): Timer {
    this.checkAlive('create a timer');
    const hooks: TimerHooks = {
      onError: (err) => {
        this.context.onTimerError(this);
        this.logger.error(`timer callback of node '${this.fullName}' threw: ${errorText(err)}`);
        if (err instanceof Error && err.stack !== undefined) this.logger.debug(err.stack);
      },
      onCancel: () => this.owned.delete(timer),
    };
    const timer: Timer = this.clock.isSimTime
      ? this.context.timeline.createTimer(periodSeconds, callback, hooks)
      : new WallTimer(periodSeconds, callback, hooks, options.precise ?? false);
    this.owned.set(timer, () => timer.cancel());
    return timer;
  }

  declareParameter<V extends ParameterValue>(
    name: string,
    defaultValue: V,
    descriptor?: ParameterDescriptor,
  ): V {
    return this.parameters.declare(name, defaultValue, descriptor);
  }

  getParameter(name: string): ParameterValue {
    return this.parameters.get(name);
  }

  setParameter(name: string, value: ParameterValue): SetParameterResult {
    return this.parameters.set(name, value);
  }

  onParameterChange(listener: ParameterChangeListener): () => void {
    return this.parameters.onChange(listener);
  }

  now(): TimeMsg {
    return this.clock.now();
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Removes the node's publishers, subscriptions and timers; idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const dispose of [...this.owned.values()]) dispose();
    this.owned.clear();
    this.context.onDestroy(this);
  }

  private checkAlive(action: string): void {
    if (this.destroyed) throw new Error(`node '${this.fullName}' has been destroyed; cannot ${action}`);
  }
}
