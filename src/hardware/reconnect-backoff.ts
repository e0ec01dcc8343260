/**
 * Exponential backoff for reconnecting to a port or broker: initial, initial*factor, ... up
 * to max, with +-20% jitter so a fleet of drivers does not retry in lockstep.
 */
export interface ReconnectBackoffOptions {
  initialSeconds: number;
  maxSeconds: number;
  factor: number;
  /** Uniform [0, 1) source; default Math.random. */
  random?: () => number;
}

export class ReconnectBackoff {
  private attempt = 0;

  constructor(private readonly options: ReconnectBackoffOptions) {}

  /** The delay before the next attempt, in seconds. */
  next(): number {
    const { initialSeconds, maxSeconds, factor } = this.options;
    const base = Math.min(maxSeconds, initialSeconds * factor ** this.attempt);
    this.attempt++;
    const jitter = 0.8 + 0.4 * (this.options.random ?? Math.random)();
    return Math.min(maxSeconds, base * jitter);
  }

  /** After a successful connection the next failure starts again from the initial delay. */
  reset(): void {
    this.attempt = 0;
  }
}
