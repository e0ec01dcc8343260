/**
 * Console logging in the rcutils format "[LEVEL] [time] [name]: message". The sink and the
 * minimum level are process-global so the CLI can route every node's log lines above its
 * progress bar, and MBRL_LOG_LEVEL works like ROS's --log-level without code changes.
 */
import type { LogLevel, Logger } from './node-api.js';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'fatal'];

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };

export interface LogRecord {
  level: LogLevel;
  /** Logger name, e.g. "robot.controller". */
  name: string;
  message: string;
  /** Wall time in seconds since the epoch. */
  timeSeconds: number;
  /** The record already formatted as one line, without a trailing newline. */
  line: string;
}

export type LogSink = (record: LogRecord) => void;

export const stderrSink: LogSink = (record) => {
  // A hung-up terminal (dropped ssh session) fails writes with EIO: logging must never be what
  // stops a node from sending its safe command.
  try {
    process.stderr.write(`${record.line}\n`);
  } catch {
    // nothing to report it to
  }
};

let globalSink: LogSink = stderrSink;
let globalLevel: LogLevel | undefined;
let envLevel: LogLevel | undefined;

/** Parses a level name case-insensitively ("WARN", "warning" too); throws naming the bad value. */
export function parseLogLevel(value: string): LogLevel {
  const v = value.trim().toLowerCase();
  if (v === 'warning') return 'warn';
  const level = LOG_LEVELS.find((l) => l === v);
  if (level === undefined) {
    throw new Error(`invalid log level '${value}': expected one of ${LOG_LEVELS.join(', ')}`);
  }
  return level;
}

function levelFromEnv(): LogLevel {
  const raw = process.env.MBRL_LOG_LEVEL;
  if (raw === undefined || raw.trim() === '') return 'info';
  try {
    return parseLogLevel(raw);
  } catch (err) {
    // A typo in an env var should not kill a robot run; say so once and keep going.
    process.stderr.write(`[WARN] MBRL_LOG_LEVEL: ${(err as Error).message}; using 'info'\n`);
    return 'info';
  }
}

/** Routes every ConsoleLogger without its own sink; undefined restores the stderr sink. */
export function setLogSink(sink: LogSink | undefined): void {
  globalSink = sink ?? stderrSink;
}

/** Sets the process-wide minimum level; undefined goes back to MBRL_LOG_LEVEL (default 'info'). */
export function setLogLevel(level: LogLevel | undefined): void {
  globalLevel = level;
  if (level === undefined) envLevel = undefined;
}

export function getLogLevel(): LogLevel {
  if (globalLevel !== undefined) return globalLevel;
  // Read the environment once: log calls can sit in control loops.
  envLevel ??= levelFromEnv();
  return envLevel;
}

export function formatLogLine(level: LogLevel, name: string, message: string, timeSeconds: number): string {
  return `[${level.toUpperCase()}] [${timeSeconds.toFixed(6)}] [${name}]: ${message}`;
}

export interface ConsoleLoggerOptions {
  /** Per-logger threshold; without it the global level applies. */
  level?: LogLevel;
  /** Per-logger sink; without it the global sink applies. */
  sink?: LogSink;
}

export class ConsoleLogger implements Logger {
  private level: LogLevel | undefined;
  private readonly sink: LogSink | undefined;

  constructor(
    readonly name: string,
    options: ConsoleLoggerOptions = {},
  ) {
    this.level = options.level;
    this.sink = options.sink;
  }

  setLevel(level: LogLevel | undefined): void {
    this.level = level;
  }

  isEnabledFor(level: LogLevel): boolean {
    return SEVERITY[level] >= SEVERITY[this.level ?? getLogLevel()];
  }

  debug(message: string): void {
    this.log('debug', message);
  }
  info(message: string): void {
    this.log('info', message);
  }
  warn(message: string): void {
    this.log('warn', message);
  }
  error(message: string): void {
    this.log('error', message);
  }
  fatal(message: string): void {
    this.log('fatal', message);
  }

  private log(level: LogLevel, message: string): void {
    if (!this.isEnabledFor(level)) return;
    const timeSeconds = (performance.timeOrigin + performance.now()) / 1000;
    const record: LogRecord = {
      level,
      name: this.name,
      message,
      timeSeconds,
      line: formatLogLine(level, this.name, message, timeSeconds),
    };
    const sink = this.sink ?? globalSink;
    try {
      sink(record);
    } catch {
      // A broken sink must not turn a log call into a crash; fall back to stderr.
      stderrSink(record);
    }
  }
}
