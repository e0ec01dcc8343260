/**
 * Topic routing for the in-process bus. Every publish appends (subscription, message) pairs
 * to one FIFO for the whole bus and drains it unless a drain is already running, so delivery
 * is breadth-first, never re-entrant, and in publish order across topics: runs are reproducible.
 * Messages are delivered by reference (zero-copy); subscribers must treat them as immutable.
 */
import { errorText } from './error-text.js';
import type { MessageTypeName, MessageTypes } from './messages.js';
import type { Logger, Publisher, Subscription } from './node-api.js';
import type { QoSProfile } from './qos.js';

/** Who owns an endpoint: named in errors, and its logger reports callback failures. */
export interface EndpointOwner {
  readonly fullName: string;
  readonly logger: Logger;
}

export interface TopicStats {
  typeName: MessageTypeName;
  /** Messages published on the topic. */
  published: number;
  /** Subscription callbacks invoked (including ones that threw). */
  delivered: number;
  /** Subscription callbacks that threw. */
  callbackErrors: number;
  publishers: number;
  subscriptions: number;
}

export interface EndpointOptions {
  /** Called once when the endpoint is destroyed, so its node can forget it. */
  onDestroy?: () => void;
  /** Bus-internal subscription (the /clock tap): delivered first, not counted or reported. */
  internal?: boolean;
}

interface TopicState {
  readonly name: string;
  typeName: MessageTypeName;
  publishers: PublisherEntry[];
  subscriptions: SubscriptionEntry[];
  published: number;
  delivered: number;
  callbackErrors: number;
}

interface PublisherEntry {
  readonly owner: EndpointOwner;
  readonly topic: TopicState;
  readonly qos: QoSProfile;
  /** Last `depth` messages, kept only for transient_local late joiners. */
  history: unknown[];
  active: boolean;
}

interface SubscriptionEntry {
  readonly owner: EndpointOwner;
  readonly topic: TopicState;
  readonly qos: QoSProfile;
  readonly internal: boolean;
  readonly invoke: (message: unknown) => void;
  active: boolean;
}

interface Delivery {
  subscription: SubscriptionEntry;
  message: unknown;
}

/** Why ROS 2 would refuse to connect these endpoints, or undefined if it would. */
function qosMismatch(pub: QoSProfile, sub: QoSProfile): string | undefined {
  if (pub.reliability === 'best_effort' && sub.reliability === 'reliable') {
    return 'the subscription requests reliable but the publisher offers best_effort';
  }
  if (pub.durability === 'volatile' && sub.durability === 'transient_local') {
    return 'the subscription requests transient_local but the publisher offers volatile';
  }
  return undefined;
}

export class MessageRouter {
  private readonly topics = new Map<string, TopicState>();
  private queue: Delivery[] = [];
  private head = 0;
  private draining = false;

  /** `topic` must already be resolved ("/..."). */
  advertise<T extends MessageTypeName>(
    owner: EndpointOwner,
    typeName: T,
    topic: string,
    qos: QoSProfile,
    options: EndpointOptions = {},
  ): Publisher<T> {
    const state = this.topicFor(owner, topic, typeName, 'publisher');
    const entry: PublisherEntry = { owner, topic: state, qos, history: [], active: true };
    state.publishers.push(entry);
    for (const sub of state.subscriptions) this.warnQoS(entry, sub, sub.owner);
    return {
      topic,
      typeName,
      publish: (message) => this.publish(entry, message),
      subscriptionCount: () => state.subscriptions.filter((s) => !s.internal).length,
      destroy: () => {
        if (!entry.active) return;
        entry.active = false;
        entry.history = [];
        state.publishers = state.publishers.filter((p) => p !== entry);
        options.onDestroy?.();
      },
    };
  }

  subscribe<T extends MessageTypeName>(
    owner: EndpointOwner,
    typeName: T,
    topic: string,
    callback: (message: MessageTypes[T]) => void,
    qos: QoSProfile,
    options: EndpointOptions = {},
  ): Subscription<T> {
    const state = this.topicFor(owner, topic, typeName, 'subscription');
    const internal = options.internal === true;
    const entry: SubscriptionEntry = {
      owner,
      topic: state,
      qos,
      internal,
      // The topic's type is checked above, so a message on it is a MessageTypes[T].
      invoke: (message) => callback(message as MessageTypes[T]),
      active: true,
    };
    if (internal) state.subscriptions.unshift(entry);
    else state.subscriptions.push(entry);
    if (!internal) for (const pub of state.publishers) this.warnQoS(pub, entry, owner);
    if (qos.durability === 'transient_local') {
      // Late joiner: replay each transient_local publisher's history, oldest first.
      for (const pub of state.publishers) {
        if (pub.qos.durability !== 'transient_local') continue;
        for (const message of pub.history) this.queue.push({ subscription: entry, message });
      }
      this.drain();
    }
    return {
      topic,
      typeName,
      destroy: () => {
        if (!entry.active) return;
        entry.active = false;
        state.subscriptions = state.subscriptions.filter((s) => s !== entry);
        options.onDestroy?.();
      },
    };
  }

  stats(): Record<string, TopicStats> {
    const out: Record<string, TopicStats> = {};
    for (const t of this.topics.values()) {
      out[t.name] = {
        typeName: t.typeName,
        published: t.published,
        delivered: t.delivered,
        callbackErrors: t.callbackErrors,
        publishers: t.publishers.length,
        subscriptions: t.subscriptions.filter((s) => !s.internal).length,
      };
    }
    return out;
  }

  /** Deliveries waiting in the FIFO (non-zero only while a drain is running). */
  pending(): number {
    return this.queue.length - this.head;
  }

  private topicFor(owner: EndpointOwner, topic: string, typeName: MessageTypeName, what: string): TopicState {
    let state = this.topics.get(topic);
    if (state === undefined) {
      state = {
        name: topic,
        typeName,
        publishers: [],
        subscriptions: [],
        published: 0,
        delivered: 0,
        callbackErrors: 0,
      };
      this.topics.set(topic, state);
    } else if (state.typeName !== typeName) {
      // As on a ROS graph, a topic's type is whatever its live endpoints use.
      if (state.publishers.length + state.subscriptions.length > 0) {
        throw new Error(
          `topic '${topic}' has type '${state.typeName}'; node '${owner.fullName}' cannot create a ${what} ` +
            `with type '${typeName}'`,
        );
      }
      state.typeName = typeName;
    }
    return state;
  }

  private publish(entry: PublisherEntry, message: unknown): void {
    const topic = entry.topic;
    if (!entry.active) {
      throw new Error(
        `publisher of node '${entry.owner.fullName}' on topic '${topic.name}' has been destroyed`,
      );
    }
    if (message === null || typeof message !== 'object') {
      throw new TypeError(
        `node '${entry.owner.fullName}' published ${String(message)} on topic '${topic.name}' ` +
          `(${topic.typeName}); expected a message object`,
      );
    }
    topic.published += 1;
    if (entry.qos.durability === 'transient_local') {
      entry.history.push(message);
      const keep = entry.qos.history === 'keep_all' ? Infinity : Math.max(1, entry.qos.depth);
      if (entry.history.length > keep) entry.history.splice(0, entry.history.length - keep);
    }
    for (const subscription of topic.subscriptions) this.queue.push({ subscription, message });
    this.drain();
  }

  private drain(): void {
    if (this.draining) return; // the running drain will reach what was just queued
    this.draining = true;
    try {
      while (this.head < this.queue.length) {
        const delivery = this.queue[this.head];
        this.head += 1;
        this.deliver(delivery);
        // A lockstep loop can keep one drain going for a whole run; drop what was delivered.
        if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
      }
      this.queue = [];
      this.head = 0;
    } finally {
      this.draining = false;
    }
  }

  private deliver({ subscription: sub, message }: Delivery): void {
    if (!sub.active) return; // destroyed after the message was queued
    const topic = sub.topic;
    if (!sub.internal) topic.delivered += 1;
    try {
      sub.invoke(message);
    } catch (err) {
      if (!sub.internal) topic.callbackErrors += 1;
      sub.owner.logger.error(
        `subscription callback of node '${sub.owner.fullName}' on topic '${topic.name}' ` +
          `(${topic.typeName}) threw: ${errorText(err)}`,
      );
      if (err instanceof Error && err.stack !== undefined) sub.owner.logger.debug(err.stack);
    }
  }

  private warnQoS(pub: PublisherEntry, sub: SubscriptionEntry, reporter: EndpointOwner): void {
    if (sub.internal) return;
    const why = qosMismatch(pub.qos, sub.qos);
    if (why === undefined) return;
    reporter.logger.warn(
      `incompatible QoS on topic '${pub.topic.name}' between publisher of '${pub.owner.fullName}' and ` +
        `subscription of '${sub.owner.fullName}': ${why}. The in-process bus still delivers; ROS 2 would not.`,
    );
  }
}
