/**
 * Background threads (planner, rollouts, training) yield the CPU to the control loop: on
 * Linux a thread's nice value is per thread, so a worker can lower its own priority by its
 * thread id (/proc/thread-self). On a 2-core machine with a planner and two trainers busy,
 * this is what keeps the control timer's wake-ups on time. Elsewhere it does nothing.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Sets the calling thread's nice value (0 = normal, 19 = lowest); returns whether it could. */
export function lowerThreadPriority(nice = 10): boolean {
  if (process.platform !== 'linux') return false;
  try {
    // "/proc/thread-self" -> "<pid>/task/<tid>"
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
