/**
 * A Logger that keeps its lines in memory, so tests of nodes can assert on what was logged
 * (pass `loggerFactory: memoryLoggers.factory` to InProcessBus) without touching stderr.
 */
import type { LogLevel, Logger } from './node-api.js';

export interface MemoryLogEntry {
  level: LogLevel;
  name: string;
  message: string;
}

export class MemoryLogger implements Logger {
  constructor(
    readonly name: string,
    /** Shared between the loggers of one factory, in logging order. */
    readonly entries: MemoryLogEntry[] = [],
  ) {}

  debug(message: string): void {
    this.entries.push({ level: 'debug', name: this.name, message });
  }
  info(message: string): void {
    this.entries.push({ level: 'info', name: this.name, message });
  }
  warn(message: string): void {
    this.entries.push({ level: 'warn', name: this.name, message });
  }
  error(message: string): void {
    this.entries.push({ level: 'error', name: this.name, message });
  }
  fatal(message: string): void {
    this.entries.push({ level: 'fatal', name: this.name, message });
  }

  /** Entries at `level` (all levels if omitted). */
  at(level?: LogLevel): MemoryLogEntry[] {
    return level === undefined ? [...this.entries] : this.entries.filter((e) => e.level === level);
  }

  /** A loggerFactory whose loggers all append to this logger's entries. */
  readonly factory = (name: string): Logger => new MemoryLogger(name, this.entries);
}
