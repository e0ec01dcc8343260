/**
 * Serial device driver: a robot board on a serial port (USB CDC, UART adapter) speaking the
 * framed protocol of its device file. Sensor frames become calibrated sensor_msgs/JointState
 * (and Imu); commands from the command topic become command frames. The port is reopened
 * with exponential backoff whenever it errors or disappears (unplugged cable, rebooted
 * board); bad frames are counted and reported, never fatal; the command watchdog sends the
 * safe command when commands stop. Like serialport's own packages, the byte stream, the
 * framing (src/hardware/protocol) and the meaning of fields (DeviceMapping) stay separate.
 */
import type { SerialDevice } from '../../config/device-schema.js';
import type { DeviceMapping } from '../../hardware/device-mapping.js';
import type { FrameDecoder } from '../../hardware/protocol/frame-decoder.js';
import { WireProtocol } from '../../hardware/protocol/wire-protocol.js';
import { SerialLink } from '../../hardware/serial-link.js';
import type { RuntimeNode } from '../../runtime/node-api.js';
import { DeviceDriverCore } from './device-driver-core.js';
import type { DriverStats } from './driver-diagnostics.js';

export interface SerialDriverNodeOptions {
  device: SerialDevice;
  mapping: DeviceMapping;
  /** Overrides device.serial.port (e.g. a robot config's `port`). */
  port?: string;
  topics?: { jointStates?: string; command?: string; diagnostics?: string };
  diagnosticsPeriodSeconds?: number;
  onRawSensors?: (raw: ArrayLike<number>) => void;
}

export class SerialDriverNode {
  readonly path: string;
  private readonly core: DeviceDriverCore;
  private readonly protocol: WireProtocol;
  private readonly decoder: FrameDecoder;
  private readonly link: SerialLink;
  private started = false;
  /** The newest frame of the read being decoded, published once the read is done. */
  private readonly newest: Float64Array;
  private hasNewest = false;

  constructor(
    private readonly node: RuntimeNode,
    private readonly options: SerialDriverNodeOptions,
  ) {
    const { device } = options;
    this.path = options.port ?? device.serial.port;
    this.protocol = WireProtocol.forDevice(device);
    this.core = new DeviceDriverCore(node, {
      mapping: options.mapping,
      deviceName: device.device,
      hardwareId: this.path,
      watchdogTimeoutSeconds: device.watchdog.timeout_s,
      declaredSensorRateHz: device.rates.sensor_hz,
      imuTopics: device.imus.map((i) => i.topic),
      link: { writeCommand: (raw, urgent) => this.link.write(this.protocol.encodeCommand(raw), urgent) },
      topics: options.topics,
      diagnosticsPeriodSeconds: options.diagnosticsPeriodSeconds,
      onRawSensors: options.onRawSensors,
    });
    this.newest = new Float64Array(this.protocol.sensorFieldCount);
    this.decoder = this.protocol.sensorDecoder({
      // Several frames in one read are a backlog (written while this thread was busy): only
      // the newest is current, the older ones are checked and counted but not published as
      // fresh state. At the declared rate a read carries one frame, so nothing is lost.
      onFrame: (values) => {
        if (this.hasNewest) this.core.onSensors(this.newest, false);
        this.newest.set(values);
        this.hasNewest = true;
      },
      onError: (error) => this.core.onBadFrame(error.kind, `${this.path}: ${error.message}`),
    });
    const frameBytes = this.protocol.encodeCommand(new Float64Array(this.protocol.commandFieldCount)).length;
    this.link = new SerialLink({
      path: this.path,
      baudRate: device.serial.baud,
      backoff: {
        initialSeconds: device.reconnect.initial_delay_s,
        maxSeconds: device.reconnect.max_delay_s,
        factor: device.reconnect.factor,
      },
      // A few frames of slack; beyond that a new command is dropped rather than sent late.
      maxQueuedBytes: 4 * frameBytes,
      onAttempt: () => this.core.noteConnectAttempt(),
      onData: (chunk) => {
        // A throwing handler must not become an uncaught exception in the port's event: count it.
        try {
          this.decoder.push(chunk);
          if (this.hasNewest) {
            this.hasNewest = false;
            this.core.onSensors(this.newest);
          }
        } catch (err) {
          this.hasNewest = false;
          this.core.onBadFrame(
            'handler',
            `${this.path}: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
      },
      onOpen: () => {
        this.decoder.reset();
        this.core.setConnected(true);
        this.node.logger.info(`${this.path}: open at ${device.serial.baud} baud`);
      },
      onLost: (reason, wasOpen, retrySeconds) => {
        this.core.setConnected(false, `${this.path}: ${reason}`);
        // The partial frame of the old connection must not be glued to the new one's bytes.
        this.decoder.reset();
        const message = `${this.path}: ${reason}; reopening in ${retrySeconds.toFixed(2)} s`;
        // The first failure after a good connection is news; repeated retries are not.
        if (wasOpen) this.node.logger.warn(message);
        else this.node.logger.debug(message);
      },
    });
  }

  get stats(): Readonly<DriverStats> {
    return this.core.stats;
  }

  get connected(): boolean {
    return this.core.stats.connected;
  }

  get watchdogActive(): boolean {
    return this.core.watchdogActive;
  }

  /** Opens the port (retrying with backoff until close()). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.link.open();
  }

  /** Sends the safe command, then closes the port (after it has left) and stops retrying. */
  async close(): Promise<void> {
    this.core.destroy();
    await this.link.close();
    this.core.setConnected(false);
  }
}
