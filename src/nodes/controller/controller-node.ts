/**
 * The control loop as a node: at a fixed rate on the node clock it takes the newest valid
 * state, asks the policy for an action, clamps it to the action bounds and publishes it
 * (std_msgs/Float64MultiArray, the ros2_control forward-command convention). With no
 * state yet, a stale state, or a policy that throws, it publishes the safe action instead,
 * so the robot is never left acting on old information.
 */
import type { Task } from '../../config/task-schema.js';
import type { ActionSource, Policy } from '../../policies/policy.js';
import { float64Array, type JointStateMsg } from '../../runtime/messages.js';
import type { Publisher, RuntimeNode, Timer, TimerTick } from '../../runtime/node-api.js';
import { timeToSeconds } from '../../runtime/time.js';
import { StateAssembler } from './state-assembler.js';

export interface ControllerNodeOptions {
  task: Task;
  policy: Policy;
  rateHz: number;
  /** A state older than this (by its header stamp) is stale. */
  staleTimeoutSeconds: number;
  /** 'zero' commands zero; 'hold' repeats the last action that was sent. */
  safeAction: 'zero' | 'hold';
  topics?: { jointStates?: string; command?: string };
}

/** What the controller did on its latest tick, for the logger and experiment loops. */
export interface ControlTick {
  time: number;
  state: Float64Array;
  action: Float64Array;
  source: ActionSource;
  /** Why the safe action was used, if it was. */
  safeReason: string | null;
}

export interface ControllerStats {
  ticks: number;
  safeTicks: number;
  rejectedStates: number;
  policyErrors: number;
  missedTicks: number;
}

export class ControllerNode {
  readonly stats: ControllerStats = {
    ticks: 0,
    safeTicks: 0,
    rejectedStates: 0,
    policyErrors: 0,
    missedTicks: 0,
  };
  readonly lastTick: ControlTick;
  private readonly assembler: StateAssembler;
  private readonly state: Float64Array;
  private readonly action: Float64Array;
  private readonly low: Float64Array;
  private readonly high: Float64Array;
  private readonly commandPub: Publisher<'std_msgs/msg/Float64MultiArray'>;
  private readonly timer: Timer;
  private stateStamp = -Infinity;
  private hasState = false;
  private warnedAt = -Infinity;

  constructor(
    private readonly node: RuntimeNode,
    private readonly options: ControllerNodeOptions,
  ) {
    const { task } = options;
    if (!(options.rateHz > 0)) throw new RangeError(`control rate must be positive, got ${options.rateHz}`);
    this.assembler = new StateAssembler(task.state);
    this.state = new Float64Array(task.state.length);
    this.action = new Float64Array(task.action.length);
    this.low = Float64Array.from(task.action.map((a) => a.min));
    this.high = Float64Array.from(task.action.map((a) => a.max));
    this.lastTick = {
      time: 0,
      state: new Float64Array(task.state.length),
      action: new Float64Array(task.action.length),
      source: 'safe',
      safeReason: 'not started',
    };
    const topics = options.topics ?? {};
    this.commandPub = node.createPublisher('std_msgs/msg/Float64MultiArray', topics.command ?? 'command', {
      qos: 'command',
    });
    node.createSubscription(
      'sensor_msgs/msg/JointState',
      topics.jointStates ?? 'joint_states',
      (m) => this.onJointState(m),
      {
        qos: 'sensorData',
      },
    );
    this.timer = node.createTimer(1 / options.rateHz, (tick) => this.onTick(tick));
  }

  /** Starts a new episode: the policy forgets its history. */
  resetEpisode(): void {
    this.options.policy.reset();
  }

  destroy(): void {
    this.timer.cancel();
  }

  private onJointState(msg: JointStateMsg): void {
    const result = this.assembler.assemble(msg, this.state);
    if (!result.ok) {
      this.stats.rejectedStates++;
      this.warnThrottled(`rejected joint state: ${result.reason}`);
      return;
    }
    this.stateStamp = timeToSeconds(msg.header.stamp);
    this.hasState = true;
  }

  private onTick(tick: TimerTick): void {
    const now = tick.actual;
    this.stats.ticks++;
    this.stats.missedTicks += tick.missed;
    let safeReason: string | null = null;
    if (!this.hasState) safeReason = 'no state received';
    else if (now - this.stateStamp > this.options.staleTimeoutSeconds)
      safeReason = `state is ${(now - this.stateStamp).toFixed(3)} s old`;
    if (safeReason === null) {
      try {
        this.options.policy.act(this.state, now, this.action);
        for (let i = 0; i < this.action.length; i++) {
          if (!Number.isFinite(this.action[i]))
            throw new Error(`policy returned non-finite action ${this.action[i]}`);
          this.action[i] = Math.min(this.high[i], Math.max(this.low[i], this.action[i]));
        }
      } catch (error) {
        this.stats.policyErrors++;
        safeReason = `policy failed: ${(error as Error).message}`;
      }
    }
    if (safeReason !== null) {
      this.stats.safeTicks++;
      if (this.options.safeAction === 'zero') this.action.fill(0);
      else this.action.set(this.lastTick.action);
      if (this.hasState) this.warnThrottled(`safe action: ${safeReason}`);
    }
    this.lastTick.time = now;
    this.lastTick.state.set(this.state);
    this.lastTick.action.set(this.action);
    this.lastTick.source = safeReason === null ? this.options.policy.source : 'safe';
    this.lastTick.safeReason = safeReason;
    this.commandPub.publish(float64Array(Array.from(this.action)));
  }

  private warnThrottled(message: string): void {
    const now = performance.now();
    if (now - this.warnedAt < 1000) return;
    this.warnedAt = now;
    this.node.logger.warn(message);
  }
}
