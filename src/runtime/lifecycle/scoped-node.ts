/**
 * A view of a node whose destroy() releases only what was created through it (publishers,
 * subscriptions, timers, parameter listeners), not the node. A managed node builds its parts on
 * a fresh scope at configure and destroys the scope at cleanup or deactivate, so a lifecycle
 * cycle leaves nothing behind while the node itself (name, parameters, lifecycle services) stays.
 */
import type { MessageTypeName, MessageTypes } from '../messages.js';
import type {
  Clock,
  Logger,
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
} from '../node-api.js';
import type { TimeMsg } from '../time.js';

export class ScopedNode implements RuntimeNode {
  private readonly owned = new Set<() => void>();
  private destroyed = false;

  constructor(readonly inner: RuntimeNode) {}

  get name(): string {
    return this.inner.name;
  }
  get namespace(): string {
    return this.inner.namespace;
  }
  get logger(): Logger {
    return this.inner.logger;
  }
  get clock(): Clock {
    return this.inner.clock;
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Tracks `dispose` until the scope or the entity itself is destroyed (no growth per cycle). */
  private track(dispose: () => void): () => void {
    if (this.destroyed) {
      dispose();
      throw new Error(`scope of node '${this.inner.name}' has been destroyed`);
    }
    const once = (): void => {
      if (!this.owned.delete(once)) return;
      dispose();
    };
    this.owned.add(once);
    return once;
  }

  createPublisher<T extends MessageTypeName>(
    typeName: T,
    topic: string,
    options?: PublisherOptions,
  ): Publisher<T> {
    const pub = this.inner.createPublisher(typeName, topic, options);
    const destroy = this.track(() => pub.destroy());
    return {
      topic: pub.topic,
      typeName: pub.typeName,
      publish: (message) => pub.publish(message),
      subscriptionCount: () => pub.subscriptionCount(),
      destroy,
    };
  }

  createSubscription<T extends MessageTypeName>(
    typeName: T,
    topic: string,
    callback: (message: MessageTypes[T]) => void,
    options?: SubscriptionOptions,
  ): Subscription<T> {
    const sub = this.inner.createSubscription(typeName, topic, callback, options);
    const destroy = this.track(() => sub.destroy());
    return { topic: sub.topic, typeName: sub.typeName, destroy };
  }

  createTimer(periodSeconds: number, callback: (tick: TimerTick) => void, options?: TimerOptions): Timer {
    const timer = this.inner.createTimer(periodSeconds, callback, options);
    const cancel = this.track(() => timer.cancel());
    return { periodSeconds: timer.periodSeconds, cancel, isCanceled: () => timer.isCanceled() };
  }

  /** Entities and listeners the scope still owns (for tests: nothing accumulates). */
  get ownedCount(): number {
    return this.owned.size;
  }

  /** A parameter outlives the scope (as in ROS): declaring it again returns its current value. */
  declareParameter<V extends ParameterValue>(
    name: string,
    defaultValue: V,
    descriptor?: ParameterDescriptor,
  ): V {
    let current: ParameterValue | undefined;
    try {
      current = this.inner.getParameter(name);
    } catch {
      return this.inner.declareParameter(name, defaultValue, descriptor);
    }
    return current as V;
  }

  getParameter(name: string): ParameterValue {
    return this.inner.getParameter(name);
  }

  setParameter(name: string, value: ParameterValue): SetParameterResult {
    return this.inner.setParameter(name, value);
  }

  onParameterChange(listener: ParameterChangeListener): () => void {
    const remove = this.inner.onParameterChange(listener);
    return this.track(remove);
  }

  now(): TimeMsg {
    return this.inner.now();
  }

  /** Releases everything created through this scope; the node stays. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const dispose of [...this.owned]) dispose();
    this.owned.clear();
  }
}
