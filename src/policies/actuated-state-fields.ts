/**
 * Which state fields each action drives, for joint-space controllers configured by hand (the
 * LQR-FLM initial PD, the PD reset): action i drives the i-th position field and the i-th
 * velocity field of the task state. Task files list actuated joints first in both groups, so
 * this holds for every shipped task without a per-task mapping.
 */
import type { Task } from '../config/task-schema.js';

export interface ActuatedStateFields {
  /** State index of the position each action drives, one per action. */
  positions: number[];
  /** State index of the matching velocity. */
  velocities: number[];
  /** Whether each of those positions is a wrapped angle (differences must wrap too). */
  wrap: boolean[];
}

export function actuatedStateFields(task: Task, what = 'a joint-space PD'): ActuatedStateFields {
  const positions = task.state.flatMap((s, i) => (s.quantity === 'position' ? [i] : []));
  const velocities = task.state.flatMap((s, i) => (s.quantity === 'velocity' ? [i] : []));
  const A = task.action.length;
  if (positions.length < A || velocities.length < A)
    throw new RangeError(
      `task ${task.name}: ${what} needs a position and a velocity field per action (${A} actions, ${positions.length} positions, ${velocities.length} velocities)`,
    );
  return {
    positions: positions.slice(0, A),
    velocities: velocities.slice(0, A),
    wrap: positions.slice(0, A).map((i) => task.state[i].wrap),
  };
}
