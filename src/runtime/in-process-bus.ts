/**
 * The in-process transport: nodes in one process exchange messages by reference through a
 * single FIFO, so tests and lockstep simulation are deterministic. /clock messages drive the
 * shared sim clock and fire sim timers before any /clock subscriber sees the message.
 */
import { BusNode } from './bus-node.js';
import type { SimClock } from './clocks.js';
import { ConsoleLogger } from './logger.js';
import { MessageRouter, type TopicStats } from './message-router.js';
import { LifecycleStateMachine } from './lifecycle/lifecycle-state-machine.js';
import type {
  LifecycleHandlers,
  LifecycleResult,
  LifecycleState,
  LifecycleTransition,
  Logger,
  ManagedNode,
  NodeOptions,
  Subscription,
  Transport,
} from './node-api.js';
import { QoS } from './qos.js';
import { SimTimeline } from './sim-timeline.js';

export interface InProcessBusOptions {
  /** Makes each node's logger (given rclcpp's logger name, e.g. "robot.controller"). Default: ConsoleLogger. */
  loggerFactory?: (loggerName: string) => Logger;
}

export interface BusStats {
  /** Per resolved topic name. */
  topics: Record<string, TopicStats>;
  /** Timer callbacks that threw, per fully qualified node name. */
  timerErrors: Record<string, number>;
}

export class InProcessBus implements Transport {
  readonly kind = 'in-process' as const;
  private readonly router = new MessageRouter();
  private readonly timeline = new SimTimeline();
  private readonly nodes = new Map<string, BusNode>();
  private readonly timerErrors = new Map<string, number>();
  private readonly makeLogger: (loggerName: string) => Logger;
  private readonly clockTap: Subscription;
  private closed = false;

  constructor(options: InProcessBusOptions = {}) {
    this.makeLogger = options.loggerFactory ?? ((name) => new ConsoleLogger(name));
    const owner = { fullName: '(in-process bus)', logger: this.makeLogger('in_process_bus') };
    this.clockTap = this.router.subscribe(
      owner,
      'rosgraph_msgs/msg/Clock',
      '/clock',
      (msg) => this.timeline.advance(msg.clock),
      QoS.clock,
      { internal: true },
    );
  }

  /** Throws if the name or namespace is invalid, or a node with the same full name exists. */
  createNode(name: string, options: NodeOptions = {}): BusNode {
    if (this.closed) throw new Error(`cannot create node '${name}': the in-process bus has been shut down`);
    const node = new BusNode(name, options, {
      router: this.router,
      timeline: this.timeline,
      makeLogger: this.makeLogger,
      onTimerError: (n) => this.timerErrors.set(n.fullName, (this.timerErrors.get(n.fullName) ?? 0) + 1),
      onDestroy: (n) => {
        if (this.nodes.get(n.fullName) === n) this.nodes.delete(n.fullName);
      },
    });
    if (this.nodes.has(node.fullName)) {
      throw new Error(`a node named '${node.fullName}' already exists on the in-process bus`);
    }
    this.nodes.set(node.fullName, node);
    return node;
  }

  /** A managed node: a node plus the managed-node state machine (lifecycle-state-machine.ts). */
  createManagedNode(name: string, handlers: LifecycleHandlers, options: NodeOptions = {}): ManagedNode {
    const node = this.createNode(name, options);
    const machine = new LifecycleStateMachine(node.fullName, handlers, node.logger);
    return {
      node,
      get state(): LifecycleState {
        return machine.state;
      },
      trigger: (transition: LifecycleTransition): LifecycleResult => machine.trigger(transition),
    };
  }

  /** Fully qualified names of the live nodes, in creation order. */
  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  /** The clock shared by every use_sim_time node (reads 0 until the first /clock message). */
  simClock(): SimClock {
    return this.timeline.clock;
  }

  stats(): BusStats {
    return { topics: this.router.stats(), timerErrors: Object.fromEntries(this.timerErrors) };
  }

  /** Destroys every node (and so every timer); afterwards the process can exit. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const node of [...this.nodes.values()]) node.destroy();
    this.timeline.cancelAll();
    this.clockTap.destroy();
  }
}
