/**
 * A virtual serial board: opens a serial port (one end of a pseudo-terminal pair, or a real
 * port looped to the robot computer) and speaks the device file's protocol as the firmware
 * would: sensor frames at the declared rate in raw units, command frames in. Behind it, the
 * MuJoCo simulator in real time (SimulatedBoard). The port is reopened when it goes away, so
 * unplug/replug tests can cycle it.
 */
import type { SerialDevice } from '../config/device-schema.js';
import type { LoadedTask } from '../config/task-loader.js';
import type { DeviceMapping } from '../hardware/device-mapping.js';
import type { FrameDecoder } from '../hardware/protocol/frame-decoder.js';
import { WireProtocol } from '../hardware/protocol/wire-protocol.js';
import { SerialLink } from '../hardware/serial-link.js';
import { SimulatedBoard } from './simulated-board.js';

export interface VirtualSerialDeviceOptions {
  device: SerialDevice;
  mapping: DeviceMapping;
  task: LoadedTask;
  /** The port to open (default device.serial.port). */
  port?: string;
  seed: number;
  startState?: 'random' | 'mean';
  commandTimeoutSeconds?: number;
  noise?: { position?: number; velocity?: number };
  /** Delay before reopening a port that went away, in seconds; default 0.2. */
  reopenDelaySeconds?: number;
  log?: (line: string) => void;
}

export interface VirtualSerialDeviceStats {
  framesSent: number;
  framesDroppedClosed: number;
  commandFrames: number;
  badCommandFrames: number;
  opens: number;
}

export class VirtualSerialDevice {
  readonly stats: VirtualSerialDeviceStats = {
    framesSent: 0,
    framesDroppedClosed: 0,
    commandFrames: 0,
    badCommandFrames: 0,
    opens: 0,
  };
  readonly path: string;
  private readonly decoder: FrameDecoder;
  private readonly link: SerialLink;

  private constructor(
    private readonly options: VirtualSerialDeviceOptions,
    private readonly protocol: WireProtocol,
    readonly board: SimulatedBoard,
  ) {
    this.path = options.port ?? options.device.serial.port;
    this.decoder = protocol.commandDecoder({
      onFrame: (values) => {
        this.stats.commandFrames++;
        board.onRawCommand(values);
      },
      onError: (error) => {
        this.stats.badCommandFrames++;
        this.log(`bad command frame: ${error.message}`);
      },
    });
    const delay = options.reopenDelaySeconds ?? 0.2;
    this.link = new SerialLink({
      path: this.path,
      baudRate: options.device.serial.baud,
      backoff: { initialSeconds: delay, maxSeconds: delay, factor: 1 },
      maxQueuedBytes: 4096,
      onData: (chunk) => {
        try {
          this.decoder.push(chunk);
        } catch (err) {
          this.stats.badCommandFrames++;
          this.log(`command handling failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      },
      onOpen: () => {
        this.decoder.reset();
        this.stats.opens++;
        this.log(`${this.path}: open`);
      },
      onLost: (reason) => {
        this.decoder.reset();
        this.log(`${this.path}: ${reason}; reopening`);
      },
    });
  }

  static async create(options: VirtualSerialDeviceOptions): Promise<VirtualSerialDevice> {
    const protocol = WireProtocol.forDevice(options.device);
    return SimulatedBoard.withDevice(
      options,
      (board) => new VirtualSerialDevice(options, protocol, board),
      (device, raw) => device.sendSensors(raw),
    );
  }

  /** Opens the port and starts the simulated robot. */
  start(): void {
    this.link.open();
    this.board.start();
  }

  async close(): Promise<void> {
    await this.link.close();
    await this.board.dispose();
  }

  private sendSensors(raw: Float64Array): void {
    if (!this.link.isOpen) {
      this.stats.framesDroppedClosed++;
      return;
    }
    // Firmware drops frames rather than buffering them when the host stops reading.
    if (this.link.write(this.protocol.encodeSensor(raw))) this.stats.framesSent++;
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}
