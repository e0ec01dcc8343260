/**
 * Node clocks. SystemClock is wall time; SimClock is ROS time driven by /clock, which reads
 * zero until the first /clock message arrives, exactly as rclcpp/rclnodejs do with use_sim_time.
 */
import type { Clock } from './node-api.js';
import { timeFromSeconds, timeToNanoseconds, timeToSeconds, type TimeMsg } from './time.js';

/** Wall time in seconds since the epoch, from the monotonic high-resolution timer. */
export function wallSeconds(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

export class SystemClock implements Clock {
  readonly type = 'system' as const;
  readonly isSimTime = false;

  now(): TimeMsg {
    return timeFromSeconds(this.nowSeconds());
  }

  nowSeconds(): number {
    return wallSeconds();
  }
}

export class SimClock implements Clock {
  readonly type = 'ros' as const;
  readonly isSimTime = true;
  private time: TimeMsg = { sec: 0, nanosec: 0 };
  private seconds = 0;
  private ns = 0n;
  private hasBeenSet = false;

  /** Sets the time from a /clock message; the message's TimeMsg is copied, not kept. */
  set(time: TimeMsg): void {
    this.time = { sec: time.sec, nanosec: time.nanosec };
    this.seconds = timeToSeconds(time);
    this.ns = timeToNanoseconds(time);
    this.hasBeenSet = true;
  }

  /** False until the first /clock message. */
  isSet(): boolean {
    return this.hasBeenSet;
  }

  now(): TimeMsg {
    return { sec: this.time.sec, nanosec: this.time.nanosec };
  }

  nowSeconds(): number {
    return this.seconds;
  }

  /** Exact time for deadline arithmetic: float seconds would make 0.1 * 3 miss the 0.3 s tick. */
  nowNanoseconds(): bigint {
    return this.ns;
  }
}
