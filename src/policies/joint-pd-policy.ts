/**
 * A joint-space PD controller to a settable pose: u_i = kp_i (q*_i - q_i) - kd_i qdot_i on
 * the joint action i drives (see actuatedStateFields), with the position error wrapped for
 * wrapped angles so the arm takes the short way round. It is how LQR-FLM's `pd` reset drives
 * the robot back to a condition's start pose through the controller node, at the control
 * rate and under its limits, between trials.
 *
 * Its source (and the controller mode it runs in) is 'reset': the robot being moved by
 * something other than the policy being learned, so a logger can tell these ticks apart and
 * the trial runner keeps them out of the LQR log.
 */
import type { Task } from '../config/task-schema.js';
import { wrapAngle } from '../math/angles.js';
import { actuatedStateFields } from './actuated-state-fields.js';
import { PolicyNotReadyError, type Policy } from './policy.js';

export interface JointPdPolicyOptions {
  /** State index of the position each action drives. */
  positionIndices: readonly number[];
  /** State index of the matching velocity. */
  velocityIndices: readonly number[];
  /** Whether each position is a wrapped angle; default none. */
  wrap?: readonly boolean[];
  /** Proportional gain(s) (action units per rad or m), one for all actions or one per action. */
  kp: number | readonly number[];
  /** Derivative gain(s) (action units per rad/s or m/s). */
  kd: number | readonly number[];
}

export class JointPdPolicy implements Policy {
  readonly source = 'reset' as const;
  private readonly positions: Int32Array;
  private readonly velocities: Int32Array;
  private readonly wrap: boolean[];
  private readonly kp: Float64Array;
  private readonly kd: Float64Array;
  private readonly target: Float64Array;
  private hasTarget = false;

  constructor(options: JointPdPolicyOptions) {
    const A = options.positionIndices.length;
    if (options.velocityIndices.length !== A)
      throw new RangeError(
        `joint PD: ${A} position indices but ${options.velocityIndices.length} velocities`,
      );
    const gain = (g: number | readonly number[], name: string, min: number) => {
      const v = typeof g === 'number' ? Array<number>(A).fill(g) : g;
      if (v.length !== A) throw new RangeError(`joint PD: ${name} has ${v.length} entries for ${A} actions`);
      if (!v.every((x) => Number.isFinite(x) && x >= min))
        throw new RangeError(`joint PD: ${name} must be finite and >= ${min}, got ${v.join(', ')}`);
      return Float64Array.from(v);
    };
    this.kp = gain(options.kp, 'kp', 0);
    this.kd = gain(options.kd, 'kd', 0);
    this.positions = Int32Array.from(options.positionIndices);
    this.velocities = Int32Array.from(options.velocityIndices);
    this.wrap = options.wrap ? [...options.wrap] : Array<boolean>(A).fill(false);
    this.target = new Float64Array(A);
  }

  /** A PD on the task's actuated joints (action i drives the i-th position and velocity field). */
  static forTask(task: Task, gains: Pick<JointPdPolicyOptions, 'kp' | 'kd'>): JointPdPolicy {
    const fields = actuatedStateFields(task, 'a PD reset');
    return new JointPdPolicy({
      positionIndices: fields.positions,
      velocityIndices: fields.velocities,
      wrap: fields.wrap,
      ...gains,
    });
  }

  /** Sets the pose to drive to from a full state vector (its actuated positions are used). */
  setTargetFromState(state: ArrayLike<number>): void {
    for (let i = 0; i < this.positions.length; i++) this.target[i] = state[this.positions[i]];
    this.hasTarget = true;
  }

  reset(): void {}

  act(state: Float64Array, _timeSeconds: number, out: Float64Array): Float64Array {
    if (!this.hasTarget) throw new PolicyNotReadyError('no target pose yet');
    for (let i = 0; i < this.positions.length; i++) {
      const raw = this.target[i] - state[this.positions[i]];
      const error = this.wrap[i] ? wrapAngle(raw) : raw;
      out[i] = this.kp[i] * error - this.kd[i] * state[this.velocities[i]];
    }
    return out;
  }
}
