/**
 * A joystick as a node, like ROS's joy_node (joy_linux): reads the Linux joystick API from
 * /dev/input/jsN (see js-event-decoder.ts) and publishes sensor_msgs/Joy on every change and
 * at the autorepeat rate, so the teleop node works without ROS 2. A FIFO carrying the same
 * bytes works too (tests; a joystick on another machine: `ssh host cat /dev/input/js0 > fifo`).
 *
 * A lost device (unplugged: ENODEV; a FIFO whose writer closed: end of file) is not papered
 * over: publishing stops, so the teleop node's joystick timeout zeroes the command, one
 * warning is logged and opening is retried every reopenDelaySeconds until destroy().
 *
 * The device is opened O_NONBLOCK and polled rather than read with fs.createReadStream: the
 * stream's open and read are blocking calls on libuv's thread pool that cannot be cancelled,
 * so after destroy() an idle stick (or a FIFO without a writer) would keep the process alive
 * until the next event, and the CLI exits by letting the event loop drain.
 */
import { close, constants, fstat, open, read } from 'node:fs';
import { header, type JoyMsg } from '../../runtime/messages.js';
import type { Publisher, RuntimeNode, Timer } from '../../runtime/node-api.js';
import { JS_EVENT_SIZE, JsEventDecoder, MAX_JS_INPUTS } from './js-event-decoder.js';
import { deadZone } from './teleop-node.js';

export interface JoystickDeviceNodeOptions {
  /** /dev/input/jsN, or a FIFO carrying js_event bytes. */
  path: string;
  /** Default 'joy' (TeleopSchema.joy.topic's default). */
  topic?: string;
  /**
   * In [0, 1), applied like joy_node's (0 inside, rescaled outside). Default 0: the teleop
   * node applies its own per-axis dead zone, and two would compound.
   */
  deadzone?: number;
  /** Republish the current state at this rate while the device is open; 0 = off. Default 20. */
  autorepeatRateHz?: number;
  /** Default 1 (joy_node retries every second). */
  reopenDelaySeconds?: number;
  /** How often an idle device is read again (there is no readiness event for it). Default 0.005. */
  pollIntervalSeconds?: number;
  /** Default true: axes signed as ROS joy_node publishes them (see js-event-decoder.ts). */
  invertAxes?: boolean;
}

export interface JoystickDeviceStats {
  /** js_event records decoded, including bad ones. */
  events: number;
  /** Joy messages published. */
  messages: number;
  /** Events of an unknown type or for an axis/button number of 64 or more (ignored). */
  bad: number;
  /** Successful opens of the path (a FIFO without a writer is opened, hits end of file and is retried). */
  opens: number;
}

/** Enough for a full initial-state burst (64 axes + 64 buttons) in one read. */
const READ_BYTES = 2 * MAX_JS_INPUTS * JS_EVENT_SIZE;

interface Session {
  fd: number;
  fifo: boolean;
  buffer: Buffer;
  /** A read is in flight: the fd must not be closed (and its number reused) under it. */
  reading: boolean;
  ended: boolean;
}

export class JoystickDeviceNode {
  readonly stats: JoystickDeviceStats = { events: 0, messages: 0, bad: 0, opens: 0 };
  private readonly decoder: JsEventDecoder;
  private readonly publisher: Publisher<'sensor_msgs/msg/Joy'>;
  private readonly deadzone: number;
  private readonly autorepeatRateHz: number;
  private readonly reopenDelayMs: number;
  private readonly pollMs: number;
  private session: Session | null = null;
  /** The pending poll or reopen. */
  private wakeup: NodeJS.Timeout | undefined;
  private autorepeat: Timer | null = null;
  /** Events have arrived since the last open: the state is the device's and worth publishing. */
  private live = false;
  /** The current outage has been reported (one warning per outage, not per retry). */
  private outageReported = false;
  private started = false;
  private destroyed = false;

  constructor(
    private readonly node: RuntimeNode,
    private readonly options: JoystickDeviceNodeOptions,
  ) {
    const deadzone = options.deadzone ?? 0;
    if (!(deadzone >= 0 && deadzone < 1))
      throw new RangeError(`joystick deadzone must be in [0, 1), got ${deadzone}`);
    const rate = options.autorepeatRateHz ?? 20;
    if (!(rate >= 0 && Number.isFinite(rate)))
      throw new RangeError(`joystick autorepeat rate must be finite and >= 0, got ${rate}`);
    const reopen = options.reopenDelaySeconds ?? 1;
    if (!(reopen > 0 && Number.isFinite(reopen)))
      throw new RangeError(`joystick reopen delay must be positive, got ${reopen}`);
    const poll = options.pollIntervalSeconds ?? 0.005;
    if (!(poll > 0 && Number.isFinite(poll)))
      throw new RangeError(`joystick poll interval must be positive, got ${poll}`);
    this.deadzone = deadzone;
    this.autorepeatRateHz = rate;
    this.reopenDelayMs = reopen * 1000;
    this.pollMs = poll * 1000;
    this.decoder = new JsEventDecoder({ invertAxes: options.invertAxes });
    this.publisher = node.createPublisher('sensor_msgs/msg/Joy', options.topic ?? 'joy', {
      qos: 'sensorData',
    });
  }

  /** Opens the device and starts the autorepeat. Kept out of the constructor like TeleopNode.start(). Idempotent. */
  start(): void {
    if (this.started || this.destroyed) return;
    this.started = true;
    if (this.autorepeatRateHz > 0)
      this.autorepeat = this.node.createTimer(1 / this.autorepeatRateHz, () => {
        if (this.live) this.publish();
      });
    this.openDevice();
  }

  /** True while the device is open and has delivered events (the node is publishing). */
  get connected(): boolean {
    return this.live;
  }

  /** The current state as it would be published (after the dead zone); null while not connected. */
  get state(): { axes: number[]; buttons: number[] } | null {
    return this.live ? { axes: this.axes(), buttons: [...this.decoder.buttons] } : null;
  }

  /** Stops the autorepeat and retries and closes the device (once an in-flight read returns). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.live = false;
    clearTimeout(this.wakeup);
    this.wakeup = undefined;
    this.autorepeat?.cancel();
    if (this.session) this.endSession(this.session);
  }

  private openDevice(): void {
    this.wakeup = undefined;
    const { path } = this.options;
    // O_NONBLOCK also keeps open() of a FIFO from waiting for a writer.
    open(path, constants.O_RDONLY | constants.O_NONBLOCK, (openError, fd) => {
      if (this.destroyed) {
        if (!openError) close(fd, () => undefined);
        return;
      }
      if (openError) return this.lost(`cannot open: ${openError.message}`);
      fstat(fd, (statError, st) => {
        const problem = statError
          ? statError.message
          : st.isCharacterDevice() || st.isFIFO()
            ? null
            : 'not a character device or FIFO';
        if (this.destroyed || problem !== null) {
          close(fd, () => undefined);
          if (!this.destroyed) this.lost(`cannot read: ${problem}`);
          return;
        }
        this.stats.opens++;
        this.decoder.reset();
        const session: Session = {
          fd,
          fifo: st.isFIFO(),
          buffer: Buffer.alloc(READ_BYTES),
          reading: false,
          ended: false,
        };
        this.session = session;
        this.readSome(session);
      });
    });
  }

  private readSome(session: Session): void {
    this.wakeup = undefined;
    session.reading = true;
    read(session.fd, session.buffer, 0, session.buffer.length, null, (error, n) => {
      session.reading = false;
      if (session.ended) {
        close(session.fd, () => undefined);
        return;
      }
      if (error) {
        // Nothing queued: a still stick, or a FIFO writer that has not written yet.
        if (error.code === 'EAGAIN' || error.code === 'EWOULDBLOCK')
          this.wakeup = setTimeout(() => this.readSome(session), this.pollMs);
        else this.endSession(session, `read failed: ${error.message}`);
        return;
      }
      if (n === 0) {
        this.endSession(session, session.fifo ? 'end of file (no writer)' : 'end of file');
        return;
      }
      this.onData(session.buffer.subarray(0, n));
      // publish() may have destroyed us (see there); otherwise a burst may hold more.
      if (!session.ended) this.readSome(session);
    });
  }

  private onData(chunk: Uint8Array): void {
    const before = { ...this.decoder.stats };
    const changed = this.decoder.push(chunk);
    const after = this.decoder.stats;
    this.stats.events += after.events - before.events;
    this.stats.bad += after.unknownType - before.unknownType + (after.outOfRange - before.outOfRange);
    if (after.events === before.events) return; // half an event so far
    if (!this.live) {
      this.live = true;
      this.outageReported = false;
      this.node.logger.info(`joystick ${this.options.path}: reading`);
    }
    // One message per read, so the events of one chunk (the initial burst) are coalesced.
    if (changed) this.publish();
  }

  private publish(): void {
    const msg: JoyMsg = {
      header: header(this.node.now(), 'joy'),
      axes: this.axes(),
      buttons: [...this.decoder.buttons],
    };
    try {
      this.publisher.publish(msg);
    } catch (error) {
      // The runtime node was destroyed before this one (a bus shut down first): nothing can be sent.
      this.node.logger.error(
        `joystick ${this.options.path}: cannot publish: ${(error as Error).message}; closing`,
      );
      this.destroy();
      return;
    }
    this.stats.messages++;
  }

  private axes(): number[] {
    const axes = this.decoder.axes;
    return this.deadzone > 0 ? axes.map((x) => deadZone(x, this.deadzone)) : [...axes];
  }

  /** Ends a session: closes the fd now, or when the in-flight read returns. With a reason: lost. */
  private endSession(session: Session, reason?: string): void {
    session.ended = true;
    if (this.session === session) this.session = null;
    clearTimeout(this.wakeup);
    this.wakeup = undefined;
    if (!session.reading) close(session.fd, () => undefined);
    if (reason !== undefined) this.lost(reason);
  }

  private lost(reason: string): void {
    if (this.destroyed) return;
    this.live = false;
    if (!this.outageReported) {
      this.outageReported = true;
      this.node.logger.warn(
        `joystick ${this.options.path}: ${reason}; not publishing, retrying every ${this.reopenDelayMs / 1000} s`,
      );
    }
    this.wakeup = setTimeout(() => this.openDevice(), this.reopenDelayMs);
  }
}
