/**
 * Warnings from per-message paths (rejected sensor data, bad commands) at most once per
 * interval per kind, so a flood of bad input cannot flood the log (RCLCPP_WARN_THROTTLE).
 * A warning of a different kind is reported at once.
 */
import type { Logger } from './node-api.js';

export class ThrottledWarning {
  private lastAt = -Infinity;
  private lastKind: string | undefined;

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly intervalMs = 1000,
  ) {}

  /** Logs `message` unless a warning of the same `kind` went out within the interval. */
  warn(message: string, kind = ''): void {
    const now = performance.now();
    if (now - this.lastAt < this.intervalMs && kind === this.lastKind) return;
    this.lastAt = now;
    this.lastKind = kind;
    this.logger.warn(message);
  }
}
