/**
 * A serial port that stays open: opened with the real `serialport` package, reopened with
 * backoff whenever it errors, closes or disappears (an unplugged USB adapter, a rebooting
 * board), and written to only while open and not backed up, so a board that stopped reading
 * never receives a backlog of stale frames later. The driver and the virtual board both sit
 * on it; what the bytes mean is the protocol's business (serialport's binding/parser split).
 */
import { SerialPort } from 'serialport';
import { ReconnectBackoff, type ReconnectBackoffOptions } from './reconnect-backoff.js';

export interface SerialLinkOptions {
  path: string;
  baudRate: number;
  backoff: ReconnectBackoffOptions;
  /** Bytes queued in the port beyond which write() refuses. */
  maxQueuedBytes: number;
  onData: (chunk: Buffer) => void;
  /** Every open attempt, first and retries. */
  onAttempt?: () => void;
  onOpen: () => void;
  /** The port went away (or failed to open); the next attempt is in `retrySeconds`. */
  onLost: (reason: string, wasOpen: boolean, retrySeconds: number) => void;
}

export class SerialLink {
  private port: SerialPort | null = null;
  private retryTimer: NodeJS.Timeout | undefined;
  private closing = false;
  /** Whether the current port finished opening (a port's isOpen is already false in 'close'). */
  private opened = false;
  private readonly backoff: ReconnectBackoff;

  constructor(private readonly options: SerialLinkOptions) {
    this.backoff = new ReconnectBackoff(options.backoff);
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  /** Opens the port, retrying until close(). */
  open(): void {
    if (this.port || this.retryTimer || this.closing) return;
    this.options.onAttempt?.();
    const port = new SerialPort({
      path: this.options.path,
      baudRate: this.options.baudRate,
      autoOpen: false,
    });
    this.port = port;
    this.opened = false;
    port.on('data', (chunk: Buffer) => this.options.onData(chunk));
    port.on('error', (err: Error) => this.lost(port, err.message));
    port.on('close', (err?: Error) => this.lost(port, err?.message ?? 'port closed'));
    port.open((err) => {
      if (err) {
        if (this.port === port) this.lost(port, err.message);
        return;
      }
      // close() ran (or the port was replaced) while this open was in flight: do not leak it.
      if (this.port !== port || this.closing) return port.close();
      this.opened = true;
      this.backoff.reset();
      this.options.onOpen();
    });
  }

  /**
   * Writes if open and not backed up; false means the bytes were dropped. `urgent` bytes (a
   * safe command) are written even when backed up, behind what is already queued (at most
   * maxQueuedBytes of commands, since ordinary writes stop there): they must reach the board.
   */
  write(bytes: Uint8Array, urgent = false): boolean {
    const port = this.port;
    if (!port?.isOpen) return false;
    if (!urgent && port.writableLength > this.options.maxQueuedBytes) return false;
    port.write(bytes);
    return true;
  }

  /**
   * Lets queued bytes leave for up to `drainTimeoutMs` (a board that stopped reading never
   * drains), then closes the port and stops retrying.
   */
  async close(drainTimeoutMs = 500): Promise<void> {
    this.closing = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const port = this.port;
    this.port = null;
    if (!port?.isOpen) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => port.drain(() => resolve())),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, drainTimeoutMs))),
    ]);
    clearTimeout(timer);
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private lost(port: SerialPort, reason: string): void {
    if (this.port !== port) return;
    const wasOpen = this.opened;
    this.opened = false;
    this.port = null;
    port.removeAllListeners('data');
    if (port.isOpen) port.close(() => undefined);
    if (this.closing) return;
    const delay = this.backoff.next();
    this.options.onLost(reason, wasOpen, delay);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.open();
    }, delay * 1000);
  }
}
