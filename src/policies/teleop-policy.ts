/**
 * Teleoperation passthrough: the action is the newest command from a human (joystick or
 * keyboard mapped to std_msgs/Float64MultiArray by a teleop node), used only while it is
 * fresh, so a dropped teleop link stops the robot instead of repeating the last command.
 * Teleop data is logged like any other source, which is how demonstrations seed a model.
 */
import type { RuntimeNode, Subscription } from '../runtime/node-api.js';
import { ThrottledWarning } from '../runtime/throttled-warning.js';
import { timeToSeconds } from '../runtime/time.js';
import { PolicyNotReadyError, type Policy, type PolicyStatus } from './policy.js';

export interface TeleopPolicyOptions {
  actionDim: number;
  /** A command older than this (seconds on the node clock) is not used; default 0.25 s. */
  timeoutSeconds?: number;
}

export class TeleopPolicy implements Policy {
  readonly source = 'teleop' as const;
  private readonly command: Float64Array;
  private stamp = -Infinity;
  rejected = 0;

  constructor(private readonly options: TeleopPolicyOptions) {
    this.command = new Float64Array(options.actionDim);
  }

  /** Takes commands from `topic` on `node`; malformed ones are counted and ignored. */
  subscribe(node: RuntimeNode, topic = 'teleop/command'): Subscription<'std_msgs/msg/Float64MultiArray'> {
    const warnings = new ThrottledWarning(node.logger);
    return node.createSubscription('std_msgs/msg/Float64MultiArray', topic, (msg) => {
      if (!this.setCommand(msg.data, timeToSeconds(node.now()))) {
        this.rejected++;
        warnings.warn(
          `${topic}: ignored teleop command ${JSON.stringify(msg.data).slice(0, 80)} (expected ${this.options.actionDim} finite values)`,
        );
      }
    });
  }

  /** The operator's newest command at `stampSeconds`; false (and ignored) if malformed. */
  setCommand(values: ArrayLike<number>, stampSeconds: number): boolean {
    if (!values || values.length !== this.command.length) return false;
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
    this.command.set(values);
    this.stamp = stampSeconds;
    return true;
  }

  reset(): void {}

  act(_state: Float64Array, timeSeconds: number, out: Float64Array): Float64Array {
    const age = timeSeconds - this.stamp;
    if (!Number.isFinite(age)) throw new PolicyNotReadyError('no teleop command received');
    if (age > (this.options.timeoutSeconds ?? 0.25))
      throw new Error(`teleop command is ${age.toFixed(3)} s old`);
    out.set(this.command);
    return out;
  }

  status(): PolicyStatus {
    return { modelVersion: 0 };
  }
}
