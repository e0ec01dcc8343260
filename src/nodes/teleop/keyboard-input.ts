/**
 * Single key presses from a terminal for teleoperation. On a TTY the stream is put in raw
 * mode (no line buffering, no echo, Ctrl-C arrives as a byte instead of SIGINT) and restored
 * on stop, on process exit and on SIGINT/SIGTERM, so a crashed or killed operator console
 * never leaves the shell in raw mode.
 *
 * Keys are printable ASCII characters (space included), CTRL_C ('\u0003'), and the arrow
 * keys as 'up' | 'down' | 'left' | 'right'. Every other byte and escape sequence is dropped,
 * so the letters inside an escape sequence (the 'A' of "\x1b[A") never reach a listener.
 */

/** Ctrl-C as delivered in raw mode. */
export const CTRL_C = '\u0003';

export type ArrowKey = 'up' | 'down' | 'left' | 'right';

/** A printable ASCII character, CTRL_C, or an arrow key name. */
export type TeleopKey = string;

export type KeyListener = (key: TeleopKey) => void;
export type CloseListener = (reason: string) => void;

/** What the input needs from a stream; process.stdin and a PassThrough both fit. */
export type KeyboardStream = NodeJS.ReadableStream & {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?: (mode: boolean) => unknown;
};

export interface TeleopKeyboardInputOptions {
  /** Default process.stdin. */
  stream?: KeyboardStream;
  /**
   * An escape sequence left unfinished at the end of a chunk is dropped if the next chunk
   * comes later than this, so a lone Esc press cannot swallow the following key. Default 100.
   */
  escapeTimeoutMs?: number;
}

const ARROWS: Record<string, ArrowKey> = { A: 'up', B: 'down', C: 'right', D: 'left' };

const ESC = 0x1b;

/**
 * Bytes to keys, keeping the state of an escape sequence split across chunks. CSI sequences
 * (ESC '[' params final) and SS3 sequences (ESC 'O' final) are consumed whole; Esc followed
 * by anything else is dropped and the byte after it decoded normally (Alt+key gives the key).
 */
export class KeyDecoder {
  /** 'esc' after ESC, 'csi' inside ESC [ ..., 'ss3' after ESC O. */
  private state: 'ground' | 'esc' | 'csi' | 'ss3' = 'ground';
  private lastChunkAt = -Infinity;

  constructor(private readonly escapeTimeoutMs = 100) {}

  push(chunk: Uint8Array | string, nowMs: number = performance.now()): TeleopKey[] {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (this.state !== 'ground' && nowMs - this.lastChunkAt > this.escapeTimeoutMs) this.state = 'ground';
    this.lastChunkAt = nowMs;
    const keys: TeleopKey[] = [];
    for (const byte of bytes) {
      switch (this.state) {
        case 'esc':
          if (byte === 0x5b) this.state = 'csi';
          else if (byte === 0x4f) this.state = 'ss3';
          else {
            this.state = 'ground';
            this.ground(byte, keys);
          }
          break;
        case 'csi':
          // Parameter and intermediate bytes (0x20-0x3f) continue the sequence; 0x40-0x7e ends it.
          if (byte >= 0x40 && byte <= 0x7e) {
            this.state = 'ground';
            const arrow = ARROWS[String.fromCharCode(byte)];
            if (arrow) keys.push(arrow);
          } else if (byte < 0x20 || byte > 0x3f) {
            // Not a valid CSI byte: abandon the sequence and decode the byte afresh.
            this.state = 'ground';
            this.ground(byte, keys);
          }
          break;
        case 'ss3': {
          this.state = 'ground';
          const arrow = ARROWS[String.fromCharCode(byte)];
          if (arrow) keys.push(arrow);
          break;
        }
        default:
          this.ground(byte, keys);
      }
    }
    return keys;
  }

  private ground(byte: number, keys: TeleopKey[]): void {
    if (byte === ESC) this.state = 'esc';
    else if (byte === 0x03) keys.push(CTRL_C);
    else if (byte >= 0x20 && byte <= 0x7e) keys.push(String.fromCharCode(byte));
    // Other control bytes, DEL and non-ASCII (UTF-8) bytes are not teleop keys.
  }
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export class TeleopKeyboardInput {
  private readonly stream: KeyboardStream;
  private readonly decoder: KeyDecoder;
  private readonly keyListeners = new Set<KeyListener>();
  private readonly closeListeners = new Set<CloseListener>();
  private started = false;
  private closed = false;
  /** Raw mode the TTY had before start, restored on stop; undefined when we did not change it. */
  private previousRaw: boolean | undefined;

  constructor(options: TeleopKeyboardInputOptions = {}) {
    this.stream = options.stream ?? process.stdin;
    this.decoder = new KeyDecoder(options.escapeTimeoutMs);
  }

  get running(): boolean {
    return this.started;
  }

  /** True when the stream is a terminal (raw mode is used). */
  get isTTY(): boolean {
    return this.stream.isTTY === true;
  }

  /** Calls `listener` with each key; returns a function that removes it. */
  onKey(listener: KeyListener): () => void {
    this.keyListeners.add(listener);
    return () => this.keyListeners.delete(listener);
  }

  /** Calls `listener` once if the stream ends or fails (no more keys will come). */
  onClose(listener: CloseListener): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Starts reading; idempotent. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    const stream = this.stream;
    if (stream.isTTY === true && typeof stream.setRawMode === 'function') {
      this.previousRaw = stream.isRaw === true;
      stream.setRawMode(true);
      // Raw mode must not outlive the process's interest in it, however the process ends.
      process.once('exit', this.restoreTerminal);
      for (const signal of SIGNALS) process.once(signal, this.onSignal);
    }
    stream.on('data', this.onData);
    stream.once('end', this.onEnd);
    stream.once('error', this.onError);
    stream.resume();
  }

  /** Stops reading and restores the terminal; idempotent, safe from exit and signal paths. */
  stop(): void {
    if (!this.started) return;
    this.started = false;
    const stream = this.stream;
    stream.removeListener('data', this.onData);
    stream.removeListener('end', this.onEnd);
    stream.removeListener('error', this.onError);
    // A paused stdin no longer keeps the event loop alive, so the process can exit.
    stream.pause();
    this.restoreTerminal();
  }

  private readonly restoreTerminal = (): void => {
    process.removeListener('exit', this.restoreTerminal);
    for (const signal of SIGNALS) process.removeListener(signal, this.onSignal);
    if (this.previousRaw === undefined) return;
    const previous = this.previousRaw;
    this.previousRaw = undefined;
    try {
      this.stream.setRawMode?.(previous);
    } catch {
      // The terminal may already be gone (hang-up); there is nothing left to restore.
    }
  };

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.stop();
    // Re-raise with the default action unless someone else handles the signal, so
    // installing this handler does not change how the process reacts to it.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };

  private readonly onData = (chunk: Uint8Array | string): void => {
    for (const key of this.decoder.push(chunk)) for (const listener of [...this.keyListeners]) listener(key);
  };

  private readonly onEnd = (): void => this.close('input stream ended');

  private readonly onError = (error: unknown): void =>
    this.close(`input stream failed: ${error instanceof Error ? error.message : String(error)}`);

  private close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    for (const listener of [...this.closeListeners]) listener(reason);
  }
}
