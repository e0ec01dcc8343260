/**
 * A virtual MQTT board: connects to the broker of its device file and talks as the firmware
 * would: JSON sensor messages on every sensor topic at the declared rate (each topic carries
 * its own fields, in raw units), JSON commands in from command_topic, and "online"/"offline"
 * (retained, "offline" also as last will) on device_availability_topic. Behind it, the MuJoCo
 * simulator in real time (SimulatedBoard). Bad command payloads are counted, never thrown;
 * the connection is re-established with backoff, so broker-restart tests can cycle it.
 */
import type { MqttDevice } from '../config/device-schema.js';
import type { LoadedTask } from '../config/task-loader.js';
import type { DeviceMapping } from '../hardware/device-mapping.js';
import {
  JsonFieldCodec,
  MqttSession,
  mqttConnectionSettings,
  uniqueClientId,
} from '../nodes/drivers/mqtt-driver-node.js';
import { redactUrl } from '../nodes/drivers/mqtt-credentials.js';
import { ThrottledWarning } from '../runtime/throttled-warning.js';
import { SimulatedBoard } from './simulated-board.js';

export interface VirtualMqttDeviceOptions {
  device: MqttDevice;
  mapping: DeviceMapping;
  task: LoadedTask;
  /** Overrides device.mqtt.broker_url. */
  brokerUrl?: string;
  seed: number;
  startState?: 'random' | 'mean';
  /** The device file's path: relative TLS and credential files are resolved against its directory. */
  deviceFile: string;
  /** Where credentials' *_env variables are read; default process.env. */
  env?: NodeJS.ProcessEnv;
  commandTimeoutSeconds?: number;
  noise?: { position?: number; velocity?: number };
  log?: (line: string) => void;
}

export interface VirtualMqttDeviceStats {
  /** Sensor messages published (one per topic per sensor tick). */
  messagesSent: number;
  /** Sensor messages not sent because the broker was unreachable or the socket backed up (never queued). */
  messagesDroppedOffline: number;
  commandMessages: number;
  badCommandMessages: number;
  badCommandsByKind: Record<string, number>;
  connects: number;
}

export class VirtualMqttDevice {
  readonly stats: VirtualMqttDeviceStats = {
    messagesSent: 0,
    messagesDroppedOffline: 0,
    commandMessages: 0,
    badCommandMessages: 0,
    badCommandsByKind: {},
    connects: 0,
  };
  /** The broker URL without credentials. */
  readonly url: string;
  private readonly session: MqttSession;
  private readonly sensorCodecs: { codec: JsonFieldCodec; qos: 0 | 1 | 2; offset: number }[];
  private readonly commandCodec: JsonFieldCodec;
  private readonly warnings: ThrottledWarning;
  private closed = false;

  private constructor(
    private readonly options: VirtualMqttDeviceOptions,
    readonly board: SimulatedBoard,
  ) {
    const { device, mapping } = options;
    const settings = mqttConnectionSettings(device, options);
    this.url = redactUrl(settings.url);
    let offset = 0;
    this.sensorCodecs = device.sensor_topics.map((t) => {
      const entry = { codec: new JsonFieldCodec(t.topic, t.fields), qos: t.qos, offset };
      offset += t.fields.length;
      return entry;
    });
    if (offset !== mapping.sensorFields.length)
      throw new Error(
        `sensor topics carry ${offset} fields, the device mapping ${mapping.sensorFields.length}`,
      );
    this.commandCodec = new JsonFieldCodec(device.command_topic.topic, device.command_topic.fields);
    const log = (line: string) => this.log(line);
    this.warnings = new ThrottledWarning({ warn: log });
    this.session = new MqttSession({
      ...settings,
      // The device file's client_id is the driver's; the board needs its own.
      clientId: uniqueClientId(`${device.device}-board`),
      availabilityTopic: device.mqtt.device_availability_topic,
      subscriptions: [{ topic: device.command_topic.topic, qos: device.command_topic.qos }],
      logger: { debug: () => undefined, info: log, warn: log, error: log },
      onMessage: (topic, payload, retained) => this.onCommand(topic, payload, retained),
      onConnected: () => this.stats.connects++,
    });
  }

  static async create(options: VirtualMqttDeviceOptions): Promise<VirtualMqttDevice> {
    return SimulatedBoard.withDevice(
      options,
      (board) => new VirtualMqttDevice(options, board),
      (device, raw) => device.sendSensors(raw),
    );
  }

  get connected(): boolean {
    return this.session.connected;
  }

  /** Connects to the broker and starts the simulated robot. */
  start(): void {
    this.session.start();
    this.board.start();
  }

  /** Publishes "offline", disconnects and stops the simulator. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.board.stop();
    await this.session.close();
    await this.board.dispose();
  }

  private sendSensors(raw: Float64Array): void {
    for (const { codec, qos, offset } of this.sensorCodecs) {
      const values = raw.subarray(offset, offset + codec.names.length);
      let payload: string;
      try {
        payload = codec.encode(values);
      } catch (err) {
        // A simulator blow-up (NaN state) must not take the board down; JSON cannot carry NaN.
        this.log(`${codec.topic}: not sent: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      if (this.session.publish(codec.topic, payload, { qos })) this.stats.messagesSent++;
      else this.stats.messagesDroppedOffline++;
    }
  }

  /** Called from mqtt.js's 'message' event: nothing may throw into mqtt.js. */
  private onCommand(topic: string, payload: Buffer, retained: boolean): void {
    // A retained command is someone's old setpoint, not an order for now.
    if (topic !== this.commandCodec.topic || retained) return;
    try {
      const decoded = this.commandCodec.decode(payload);
      if (!(decoded instanceof Float64Array)) {
        this.badCommand(decoded.kind, decoded.message);
        return;
      }
      this.stats.commandMessages++;
      this.board.onRawCommand(decoded);
    } catch (err) {
      this.badCommand('handler', `${topic}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private badCommand(kind: string, message: string): void {
    this.stats.badCommandMessages++;
    this.stats.badCommandsByKind[kind] = (this.stats.badCommandsByKind[kind] ?? 0) + 1;
    this.warnings.warn(`bad command: ${message} (${this.stats.badCommandMessages} so far)`, kind);
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}
