/**
 * Time as ROS 2 carries it (builtin_interfaces/msg/Time): whole seconds plus nanoseconds.
 * Arithmetic is done in float seconds, which keeps sub-microsecond precision for sim time
 * and ~0.2 us for wall time since the epoch; messages keep the exact integer form.
 */
export interface TimeMsg {
  sec: number;
  nanosec: number;
}

const NS_PER_S = 1_000_000_000;

export function timeFromSeconds(seconds: number): TimeMsg {
  if (!Number.isFinite(seconds)) throw new RangeError(`time must be finite, got ${seconds}`);
  let sec = Math.floor(seconds);
  let nanosec = Math.round((seconds - sec) * NS_PER_S);
  if (nanosec >= NS_PER_S) {
    sec += 1;
    nanosec -= NS_PER_S;
  }
  return { sec, nanosec };
}

export function timeToSeconds(t: TimeMsg): number {
  return t.sec + t.nanosec / NS_PER_S;
}

export function timeFromNanoseconds(ns: bigint): TimeMsg {
  const b = BigInt(NS_PER_S);
  return { sec: Number(ns / b), nanosec: Number(ns % b) };
}

export function timeToNanoseconds(t: TimeMsg): bigint {
  return BigInt(t.sec) * BigInt(NS_PER_S) + BigInt(t.nanosec);
}

/** Duration (builtin_interfaces/msg/Duration) has the same shape as Time. */
export type DurationMsg = TimeMsg;
