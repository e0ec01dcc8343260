/**
 * The operator's one-line status display. On a TTY the line is rewritten in place ('\r',
 * the text, then clear-to-end-of-line so a shorter line leaves no tail). Elsewhere (a log
 * file, a pipe) it writes ordinary lines, at most one per interval and only when the text
 * changed, so a 5 Hz status does not flood the log.
 */

export type StatusStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface StatusLineOptions {
  /** Default process.stderr, which keeps stdout free for data. */
  stream?: StatusStream;
  /** Minimum time between lines when the stream is not a TTY; default 1000 ms. */
  intervalMs?: number;
  /** Milliseconds clock, for tests; default performance.now. */
  now?: () => number;
}

const CLEAR_TO_EOL = '\x1b[K';

export class StatusLine {
  private readonly stream: StatusStream;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private lastWrittenAt = -Infinity;
  private lastWritten: string | undefined;
  /** The newest line not yet written (non-TTY throttling), flushed by done(). */
  private pending: string | undefined;
  private onTTYLine = false;

  constructor(options: StatusLineOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.intervalMs = options.intervalMs ?? 1000;
    this.now = options.now ?? (() => performance.now());
  }

  /** Shows `line`; an arrow function so it can be passed as a TeleopNode `status` callback. */
  readonly update = (line: string): void => {
    if (this.stream.isTTY === true) {
      // A line wider than the terminal wraps, and '\r' would then only rewrite its last row.
      const columns = this.stream.columns;
      const text = columns !== undefined && columns > 1 ? line.slice(0, columns - 1) : line;
      this.stream.write(`\r${text}${CLEAR_TO_EOL}`);
      this.onTTYLine = true;
      return;
    }
    if (line === this.lastWritten) {
      this.pending = undefined;
      return;
    }
    const now = this.now();
    if (now - this.lastWrittenAt < this.intervalMs) {
      this.pending = line;
      return;
    }
    this.writeLine(line, now);
  };

  /** Ends the display: on a TTY moves to a fresh line; otherwise writes any pending line. */
  done(): void {
    if (this.onTTYLine) {
      this.stream.write('\n');
      this.onTTYLine = false;
    }
    if (this.pending !== undefined) this.writeLine(this.pending, this.now());
  }

  private writeLine(line: string, now: number): void {
    this.stream.write(`${line}\n`);
    this.lastWritten = line;
    this.lastWrittenAt = now;
    this.pending = undefined;
  }
}
