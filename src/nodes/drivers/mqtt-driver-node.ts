/**
 * MQTT device driver: a robot board on Wi-Fi/Ethernet that publishes JSON sensor messages and
 * takes JSON commands through a broker, as its device file describes. Sensor messages become
 * calibrated sensor_msgs/JointState (and Imu); commands from the command topic become JSON
 * on command_topic. The connection is re-established with exponential backoff (mqtt.js's own
 * reconnect has a fixed period), bad payloads are counted and reported, never fatal, and the
 * command watchdog sends the safe command when commands stop. The driver announces itself on
 * availability_topic ("online" retained, "offline" as last will and on close).
 *
 * Several sensor topics: the latest values of each topic are kept, and a JointState is
 * published whenever any topic updates, once every topic has been seen since the connection
 * came up (so a message never mixes in values from before a reconnect) and only while every
 * topic is fresh: if one topic goes silent for longer than max(0.1 s, 5 sensor periods), its
 * last values are not republished as current; the updates of the others are counted as
 * 'stale_topic' bad frames instead until it speaks again.
 *
 * Also exported for the virtual device (the board's side): the JSON field codec and the
 * reconnecting client session.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { JsonFieldSpec, MqttDevice } from '../../config/device-schema.js';
import type { DeviceMapping } from '../../hardware/device-mapping.js';
import type { Logger, RuntimeNode } from '../../runtime/node-api.js';
import { DeviceDriverCore } from './device-driver-core.js';
import type { DriverStats } from './driver-diagnostics.js';
import { redactUrl, resolveMqttCredentials, type MqttCredentials } from './mqtt-credentials.js';
import { ReconnectBackoff } from '../../hardware/reconnect-backoff.js';

/** Larger sensor or command payloads are rejected unparsed (a board's state is a few hundred bytes). */
export const MAX_JSON_PAYLOAD_BYTES = 64 * 1024;

export type MqttQos = 0 | 1 | 2;

export interface MqttDriverNodeOptions {
  device: MqttDevice;
  mapping: DeviceMapping;
  /** The device file's path: relative TLS and credential files are resolved against its directory. */
  deviceFile: string;
  /** Overrides device.mqtt.broker_url (e.g. a robot config's broker, or a test broker). */
  brokerUrl?: string;
  topics?: { jointStates?: string; command?: string; diagnostics?: string };
  diagnosticsPeriodSeconds?: number;
  /** Where credentials' *_env variables are read; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Sees every complete set of raw sensor values before calibration (zero calibration records these). */
  onRawSensors?: (raw: ArrayLike<number>) => void;
}

export class MqttDriverNode {
  /** The broker URL without credentials (logs, diagnostics hardware_id). */
  readonly url: string;
  private readonly core: DeviceDriverCore;
  private readonly session: MqttSession;
  private readonly codecs: JsonFieldCodec[];
  private readonly commandCodec: JsonFieldCodec;
  private readonly topicIndex = new Map<string, number>();
  /** Per sensor topic: where its fields start in `latest` (mapping.sensorFields order). */
  private readonly offsets: number[];
  private readonly latest: Float64Array;
  /** Per sensor topic: performance.now() of its last message since connecting; NaN: none yet. */
  private readonly arrivalMs: Float64Array;
  /** performance.now() of the first sensor message since connecting; NaN: none yet. */
  private flowStartMs = NaN;
  /** A topic silent for longer than this makes the others' updates stale. */
  private readonly maxAgeMs: number;
  private boardState: 'online' | 'offline' | undefined;
  private warnedRetained = false;

  constructor(
    private readonly node: RuntimeNode,
    private readonly options: MqttDriverNodeOptions,
  ) {
    const { device, mapping } = options;
    const settings = mqttConnectionSettings(device, options);
    this.url = redactUrl(settings.url);
    this.codecs = device.sensor_topics.map((t) => new JsonFieldCodec(t.topic, t.fields));
    this.commandCodec = new JsonFieldCodec(device.command_topic.topic, device.command_topic.fields);
    checkFieldOrder(
      'sensor',
      this.codecs.flatMap((c) => c.names),
      mapping.sensorFields,
    );
    checkFieldOrder('command', this.commandCodec.names, mapping.commandFields);
    this.offsets = [];
    let offset = 0;
    this.codecs.forEach((codec, i) => {
      this.topicIndex.set(codec.topic, i);
      this.offsets.push(offset);
      offset += codec.names.length;
    });
    this.latest = new Float64Array(offset);
    this.arrivalMs = new Float64Array(this.codecs.length).fill(NaN);
    this.maxAgeMs = 1000 * Math.max(0.1, 5 / device.rates.sensor_hz);

    this.core = new DeviceDriverCore(node, {
      mapping,
      deviceName: device.device,
      hardwareId: this.url,
      watchdogTimeoutSeconds: device.watchdog.timeout_s,
      // Every topic at sensor_hz, and a JointState on any topic's update.
      declaredSensorRateHz: device.rates.sensor_hz * device.sensor_topics.length,
      imuTopics: device.imus.map((i) => i.topic),
      link: { writeCommand: (raw, urgent) => this.writeCommand(raw, urgent) },
      topics: options.topics,
      diagnosticsPeriodSeconds: options.diagnosticsPeriodSeconds,
      onRawSensors: options.onRawSensors,
    });
    const subscriptions = device.sensor_topics.map((t) => ({ topic: t.topic, qos: t.qos }));
    const boardTopic = device.mqtt.device_availability_topic;
    if (boardTopic) subscriptions.push({ topic: boardTopic, qos: 1 });
    this.session = new MqttSession({
      ...settings,
      clientId: device.mqtt.client_id ?? uniqueClientId(`mbrl-${device.device}-driver`),
      availabilityTopic: device.mqtt.availability_topic,
      silenceTimeoutMs: driverSilenceTimeoutMs(device),
      subscriptions,
      logger: node.logger,
      onMessage: (topic, payload, retained) => this.onMessage(topic, payload, retained),
      onConnectAttempt: () => this.core.noteConnectAttempt(),
      onConnected: () => this.core.setConnected(true),
      onDisconnected: (reason) => {
        this.core.setConnected(false, `${this.url}: ${reason}`);
        this.arrivalMs.fill(NaN);
        this.flowStartMs = NaN;
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

  /** What the board last said on device_availability_topic (undefined: nothing yet, or no such topic). */
  get boardAvailability(): 'online' | 'offline' | undefined {
    return this.boardState;
  }

  /** The underlying client (null before start()), for tests that break its connection uncleanly. */
  get mqttClient(): MqttClient | null {
    return this.session.mqttClient;
  }

  /** Connects to the broker (retrying with backoff until close()). */
  start(): void {
    this.session.start();
  }

  /** Sends the safe command, publishes "offline" on the availability topic and disconnects. */
  async close(): Promise<void> {
    this.core.destroy();
    await this.session.close();
    this.core.setConnected(false);
  }

  /** Called from mqtt.js's 'message' event: nothing may throw into mqtt.js. */
  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    try {
      this.handleMessage(topic, payload, retained);
    } catch (err) {
      // E.g. an onRawSensors callback that throws: counted, and the next message is handled as usual.
      this.core.onBadFrame('handler', `${topic}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private handleMessage(topic: string, payload: Buffer, retained: boolean): void {
    if (topic === this.options.device.mqtt.device_availability_topic) {
      this.onBoardAvailability(topic, payload.toString('utf8').trim());
      return;
    }
    const i = this.topicIndex.get(topic);
    if (i === undefined) return;
    if (retained) {
      // A retained sensor message is a snapshot of some earlier moment, not the current state.
      if (!this.warnedRetained)
        this.node.logger.warn(`${topic}: ignoring retained sensor messages (stale state)`);
      this.warnedRetained = true;
      return;
    }
    const codec = this.codecs[i];
    const decoded = codec.decode(payload);
    if (!(decoded instanceof Float64Array)) {
      this.core.onBadFrame(decoded.kind, decoded.message);
      return;
    }
    this.latest.set(decoded, this.offsets[i]);
    const now = performance.now();
    this.arrivalMs[i] = now;
    if (Number.isNaN(this.flowStartMs)) this.flowStartMs = now;
    // The oldest topic decides. One not seen since connecting counts from the first message of
    // any topic: silent while within the maximum age (startup), stale after.
    let oldest = -1;
    let oldestAge = 0;
    let complete = true;
    for (let j = 0; j < this.arrivalMs.length; j++) {
      const seen = !Number.isNaN(this.arrivalMs[j]);
      complete &&= seen;
      const age = now - (seen ? this.arrivalMs[j] : this.flowStartMs);
      if (age > this.maxAgeMs && age > oldestAge) {
        oldest = j;
        oldestAge = age;
      }
    }
    if (oldest >= 0) {
      const never = Number.isNaN(this.arrivalMs[oldest]) ? ' since connecting' : '';
      this.core.onBadFrame(
        'stale_topic',
        `${this.codecs[oldest].topic}: no message for ${Math.round(oldestAge)} ms${never} (max ${Math.round(this.maxAgeMs)} ms)`,
      );
      return;
    }
    if (complete) this.core.onSensors(this.latest);
  }

  private onBoardAvailability(topic: string, text: string): void {
    if (text !== 'online' && text !== 'offline') {
      this.node.logger.debug(`${topic}: unknown availability ${JSON.stringify(text.slice(0, 40))}`);
      return;
    }
    const previous = this.boardState;
    this.boardState = text;
    if (text === 'offline' && previous !== 'offline') {
      const message = `board reports offline on ${topic}`;
      this.node.logger.warn(message);
      // Keeps the link state and puts the board's word into the diagnostics' last_error.
      this.core.setConnected(this.core.stats.connected, message);
    } else if (text === 'online' && previous === 'offline') {
      this.node.logger.info(`board back online on ${topic}`);
    }
  }

  /** `urgent` (the safe command) skips the backlog gate: sent late beats not sent at all. */
  private writeCommand(raw: Float64Array, urgent: boolean): boolean {
    const { topic, qos } = this.options.device.command_topic;
    return this.session.publish(topic, this.commandCodec.encode(raw), { qos, urgent });
  }
}

/** A payload that could not be used: `kind` counts it in the driver's stats, `message` names topic and key. */
export interface JsonDecodeError {
  kind: 'oversize' | 'not_json' | 'not_object' | 'missing_field' | 'not_number' | 'non_finite';
  message: string;
}

/**
 * Reads and writes the numeric fields of one topic's JSON payloads at their dotted keys
 * (`cart.ticks` is `{"cart": {"ticks": 12}}`). Each field must be a finite JSON number: numeric
 * strings are refused too, since a board that sends them is misconfigured.
 */
export class JsonFieldCodec {
  /** Field names, in the device file's order. */
  readonly names: readonly string[];
  /** Dotted keys, in the same order. */
  readonly keys: readonly string[];
  private readonly paths: string[][];
  private readonly values: Float64Array;

  constructor(
    readonly topic: string,
    fields: readonly JsonFieldSpec[],
    private readonly maxPayloadBytes = MAX_JSON_PAYLOAD_BYTES,
  ) {
    this.names = fields.map((f) => f.name);
    this.keys = fields.map((f) => f.key ?? f.name);
    this.paths = this.keys.map((k) => k.split('.'));
    this.values = new Float64Array(fields.length);
    // "a" and "a.b" cannot both be numbers in one object.
    this.keys.forEach((a, i) =>
      this.keys.forEach((b, j) => {
        if (i !== j && (a === b || b.startsWith(`${a}.`)))
          throw new Error(`${topic}: JSON keys "${a}" and "${b}" conflict`);
      }),
    );
  }

  /**
   * The field values (names order) of a payload, or what is wrong with it. The returned array
   * is reused by the next call: copy it to keep it.
   */
  decode(payload: Uint8Array): Float64Array | JsonDecodeError {
    const fail = (kind: JsonDecodeError['kind'], message: string): JsonDecodeError => ({
      kind,
      message: `${this.topic}: ${message}`,
    });
    if (payload.length > this.maxPayloadBytes)
      return fail('oversize', `payload of ${payload.length} bytes exceeds ${this.maxPayloadBytes}`);
    let message: unknown;
    try {
      message = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('utf8'));
    } catch (err) {
      return fail('not_json', `not JSON (${clip(err instanceof Error ? err.message : String(err), 100)})`);
    }
    if (!isObject(message)) return fail('not_object', `expected a JSON object, got ${describe(message)}`);
    for (let i = 0; i < this.paths.length; i++) {
      const segments = this.paths[i];
      let value: unknown = message;
      for (let s = 0; s < segments.length; s++) {
        if (!isObject(value) || !Object.hasOwn(value, segments[s])) {
          const where = s === 0 ? '' : ` ("${segments.slice(0, s).join('.')}" is ${describe(value)})`;
          return fail('missing_field', `field "${this.keys[i]}": missing${isObject(value) ? '' : where}`);
        }
        value = value[segments[s]];
      }
      if (typeof value === 'number' && Number.isFinite(value)) {
        this.values[i] = value;
        continue;
      }
      const nonFinite =
        typeof value === 'number' ||
        (typeof value === 'string' && /^\s*[+-]?(nan|inf(inity)?)\s*$/i.test(value));
      return fail(
        nonFinite ? 'non_finite' : 'not_number',
        `field "${this.keys[i]}": expected a finite number, got ${describe(value)}`,
      );
    }
    return this.values;
  }

  /** A JSON object with `values` (names order) at their keys; throws on a non-finite value (JSON has none). */
  encode(values: ArrayLike<number>): string {
    if (values.length !== this.paths.length)
      throw new RangeError(`${this.topic}: expected ${this.paths.length} values, got ${values.length}`);
    // Null prototypes: a key such as "__proto__" (the schema allows it) stays a plain property.
    const root: Record<string, unknown> = Object.create(null);
    for (let i = 0; i < this.paths.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) throw new RangeError(`${this.topic}: field "${this.keys[i]}" is ${v}`);
      const segments = this.paths[i];
      let obj = root;
      for (let s = 0; s < segments.length - 1; s++) {
        obj = (obj[segments[s]] ??= Object.create(null)) as Record<string, unknown>;
      }
      obj[segments[segments.length - 1]] = v;
    }
    return JSON.stringify(root);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return clip(JSON.stringify(v), 40);
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}...` : s;
}

function checkFieldOrder(what: string, ours: readonly string[], mapping: readonly string[]): void {
  if (ours.length !== mapping.length || ours.some((name, i) => name !== mapping[i]))
    throw new Error(
      `${what} fields [${ours.join(', ')}] do not match the device mapping's [${mapping.join(', ')}]`,
    );
}

/**
 * How long the driver's connection may stay silent before it is suspected dead: five sensor
 * periods (the boards talk continuously), at least 0.25 s (a broker under load may take a
 * while to answer a ping), at most the keepalive (mqtt.js's own check, 1.5x that, is later).
 */
export function driverSilenceTimeoutMs(device: MqttDevice): number {
  const seconds = Math.min(Math.max(0.25, 5 / device.rates.sensor_hz), device.mqtt.keepalive_s);
  return 1000 * seconds;
}

/** A client id unlikely to collide (two clients with one id kick each other off the broker). */
export function uniqueClientId(prefix: string): string {
  return `${prefix}-${Math.random().toString(16).slice(2, 8)}`;
}

/** How to reach a device's broker: URL, credentials and TLS material, read from env and files. */
export interface MqttConnectionSettings {
  /** May carry user:password: log redactUrl(url), never this. */
  url: string;
  keepaliveSeconds: number;
  connectTimeoutSeconds: number;
  reconnect: MqttDevice['reconnect'];
  credentials: MqttCredentials;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean };
}

/** Resolves credentials and reads TLS files (relative to the device file); throws naming what is missing. */
export function mqttConnectionSettings(
  device: MqttDevice,
  options: { deviceFile: string; brokerUrl?: string; env?: NodeJS.ProcessEnv },
): MqttConnectionSettings {
  const baseDir = path.dirname(path.resolve(options.deviceFile));
  const { mqtt } = device;
  const read = (file: string | undefined, what: string) => {
    if (file === undefined) return undefined;
    const resolved = path.resolve(baseDir, file);
    try {
      return readFileSync(resolved);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new Error(`MQTT TLS: cannot read ${resolved} (tls.${what}): ${code}`, { cause: err });
    }
  };
  const url = options.brokerUrl ?? mqtt.broker_url;
  // TLS settings with a plain-TCP URL would silently send credentials unencrypted.
  if (mqtt.tls && !/^(mqtts|wss|ssl|tls):/i.test(url))
    throw new RangeError(
      `${options.deviceFile}: mqtt.tls is set but the broker URL ${redactUrl(url)} is not TLS (use mqtts://, wss:// or ssl://)`,
    );
  return {
    url,
    keepaliveSeconds: mqtt.keepalive_s,
    connectTimeoutSeconds: mqtt.connect_timeout_s,
    reconnect: device.reconnect,
    credentials: resolveMqttCredentials(mqtt.credentials, { env: options.env, baseDir }),
    tls: mqtt.tls && {
      ca: read(mqtt.tls.ca_file, 'ca_file'),
      cert: read(mqtt.tls.cert_file, 'cert_file'),
      key: read(mqtt.tls.key_file, 'key_file'),
      rejectUnauthorized: mqtt.tls.reject_unauthorized,
    },
  };
}

export interface MqttSessionOptions extends MqttConnectionSettings {
  clientId: string;
  /** "online" (retained) after each connect, "offline" as last will and on close(). */
  availabilityTopic?: string;
  /** Subscribed after every connect (clean sessions: the broker forgets them on disconnect). */
  subscriptions: { topic: string; qos: MqttQos }[];
  /**
   * A network partition is invisible to TCP for minutes, and to mqtt.js's keepalive for up to
   * 1.5x keepalive_s, while publishes pile up in the socket and arrive late when the network
   * heals. With this set, after half of it without a packet from the broker a ping probes the
   * link; after all of it publishes are refused; and a probe unanswered for this long resets
   * the socket (RST, so the kernel discards the queued publishes instead of delivering them
   * late) and reconnects. Off by default (mqtt.js's keepalive only).
   */
  silenceTimeoutMs?: number;
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  /** `retained`: delivered from the broker's retained store on subscribe, not live. */
  onMessage(topic: string, payload: Buffer, retained: boolean): void;
  onConnectAttempt?(): void;
  onConnected?(): void;
  /** The connection dropped or an attempt failed; a reconnect is scheduled. */
  onDisconnected?(reason: string): void;
}

/**
 * Bytes waiting in the socket beyond which a publish is dropped rather than sent late. A command
 * is some 20-100 bytes of JSON, so 4 KiB is already dozens of commands behind: anything queued
 * after them would act on an old state. The board's side (virtual device) uses the same gate:
 * a sensor message is ~100 bytes, so 4 KiB is ~40 messages, i.e. ~0.4 s at 100 Hz, older than
 * the driver's maximum topic age; a deeper queue would only deliver state the controller should
 * no longer act on (and delay the fresh messages behind it).
 */
const MAX_BACKLOG_BYTES = 4 * 1024;
/** How long close() waits for the "offline" message to be acknowledged before cutting the connection. */
const CLOSE_TIMEOUT_MS = 2000;

/**
 * One MQTT client with a clean session that reconnects with exponential backoff until
 * close(), resubscribes after each connect, and never queues publishes while disconnected
 * (a command sent late is worse than one not sent).
 */
export class MqttSession {
  private client: MqttClient | null = null;
  private readonly backoff: ReconnectBackoff;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private up = false;
  private lastError = '';
  /** The reason the previous connection attempt failed ('' after a good connection). */
  private lastFailure = '';
  private readonly hardwareId: string;
  /** performance.now() of the last packet from the broker (any kind: data, ack, ping reply). */
  private lastInboundMs = 0;
  /** performance.now() of the outstanding silence probe (ping); NaN: none. */
  private probeSentMs = NaN;
  private livenessTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: MqttSessionOptions) {
    this.hardwareId = redactUrl(options.url);
    if (options.tls && !options.tls.rejectUnauthorized)
      options.logger.warn(
        `${this.hardwareId}: tls.reject_unauthorized is false: the broker's certificate is not checked (bench setups only)`,
      );
    this.backoff = new ReconnectBackoff({
      initialSeconds: options.reconnect.initial_delay_s,
      maxSeconds: options.reconnect.max_delay_s,
      factor: options.reconnect.factor,
    });
  }

  get connected(): boolean {
    return this.up && this.client?.connected === true;
  }

  /** The client, for tests that need to break its connection. */
  get mqttClient(): MqttClient | null {
    return this.client;
  }

  start(): void {
    if (this.client || this.closing) return;
    const o = this.options;
    const clientOptions: IClientOptions = {
      clientId: o.clientId,
      clean: true,
      keepalive: o.keepaliveSeconds,
      connectTimeout: o.connectTimeoutSeconds * 1000,
      // Reconnects are ours (backoff); client.reconnect() also starts with empty stores, so
      // QoS 1/2 commands from before the drop are not replayed late.
      reconnectPeriod: 0,
      queueQoSZero: false,
      resubscribe: false,
      username: o.credentials.username,
      password: o.credentials.password,
      will: o.availabilityTopic
        ? { topic: o.availabilityTopic, payload: Buffer.from('offline'), qos: 1, retain: true }
        : undefined,
      ...(o.tls && {
        ca: o.tls.ca,
        cert: o.tls.cert,
        key: o.tls.key,
        rejectUnauthorized: o.tls.rejectUnauthorized,
      }),
    };
    o.onConnectAttempt?.();
    const client = connect(o.url, clientOptions);
    this.client = client;
    client.on('connect', () => {
      // Small control messages must not wait for Nagle's algorithm (up to 40 ms with delayed ACKs).
      const stream = client.stream as { setNoDelay?: (noDelay: boolean) => unknown };
      stream.setNoDelay?.(true);
      this.onConnect(client);
    });
    client.on('packetreceive', () => {
      if (this.client !== client) return;
      this.lastInboundMs = performance.now();
      this.probeSentMs = NaN;
    });
    client.on('message', (topic, payload, packet) => {
      if (this.client === client && !this.closing) o.onMessage(topic, payload, packet.retain);
    });
    client.on('error', (err) => {
      this.lastError = err.message;
      o.logger.debug(`${this.hardwareId}: ${err.message}`);
    });
    client.on('close', () => this.onClose(client));
  }

  /**
   * Publishes if connected and the socket is not backed up; false means dropped. `urgent` (the
   * safe command) bypasses the backlog gate, never the connection check.
   */
  publish(
    topic: string,
    payload: string,
    options: { qos: MqttQos; retain?: boolean; urgent?: boolean },
  ): boolean {
    const client = this.client;
    if (!client || !this.connected || client.disconnecting || this.closing) return false;
    // Even the safe command: into a link that may be partitioned it would only arrive late.
    if (this.silentForMs() > (this.options.silenceTimeoutMs ?? Infinity)) return false;
    if (!options.urgent && client.stream.writableLength > MAX_BACKLOG_BYTES) return false;
    client.publish(topic, payload, { qos: options.qos, retain: options.retain ?? false }, (err) => {
      if (err) this.options.logger.debug(`${topic}: publish failed: ${err.message}`);
    });
    return true;
  }

  /** Publishes "offline" on the availability topic, disconnects cleanly and stops reconnecting. */
  async close(): Promise<void> {
    if (this.closing) return;
    const client = this.client;
    const { availabilityTopic } = this.options;
    if (client && this.connected && availabilityTopic)
      client.publish(availabilityTopic, 'offline', { qos: 1, retain: true }, () => undefined);
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.stopLiveness();
    this.up = false;
    if (!client) return;
    if (!client.connected) {
      await client.endAsync(true);
      return;
    }
    // end(false) waits for the "offline" PUBACK, then sends DISCONNECT (so no last will).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.endAsync(false),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    // end(true) is a no-op while an end(false) is pending; cut the socket (the will then says "offline").
    if (!client.disconnected) client.stream.destroy();
  }

  private onConnect(client: MqttClient): void {
    if (this.client !== client || this.closing) return;
    const o = this.options;
    this.up = true;
    this.backoff.reset();
    this.lastError = '';
    this.startLiveness(client);
    o.logger.info(`${this.hardwareId}: connected as ${o.clientId}`);
    if (o.subscriptions.length > 0)
      client.subscribe(
        Object.fromEntries(o.subscriptions.map((s) => [s.topic, { qos: s.qos }])),
        (err, granted) => {
          if (err) o.logger.error(`${this.hardwareId}: subscribe failed: ${err.message}`);
          for (const g of granted ?? [])
            if (g.qos === 128)
              o.logger.error(`${this.hardwareId}: the broker refused the subscription to ${g.topic}`);
        },
      );
    if (o.availabilityTopic)
      client.publish(o.availabilityTopic, 'online', { qos: 1, retain: true }, () => undefined);
    o.onConnected?.();
  }

  private onClose(client: MqttClient): void {
    if (this.client !== client || this.closing) return;
    const wasUp = this.up;
    this.up = false;
    this.stopLiveness();
    const reason = this.lastError || (wasUp ? 'connection lost' : 'connection failed');
    this.lastError = '';
    this.options.onDisconnected?.(reason);
    if (this.reconnectTimer) return;
    const delay = this.backoff.next();
    const message = `${this.hardwareId}: ${reason}; reconnecting in ${delay.toFixed(2)} s`;
    // The first failure after a good connection is news, and so is a new reason for failing
    // to connect at all (a refused login or an untrusted certificate will not fix itself);
    // the same failure repeated on every retry is not.
    if (wasUp || reason !== this.lastFailure) this.options.logger.warn(message);
    else this.options.logger.debug(message);
    this.lastFailure = wasUp ? '' : reason;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closing || this.client !== client) return;
      this.options.onConnectAttempt?.();
      client.reconnect();
    }, delay * 1000);
  }

  private silentForMs(): number {
    return this.up ? performance.now() - this.lastInboundMs : 0;
  }

  private startLiveness(client: MqttClient): void {
    this.stopLiveness();
    const timeoutMs = this.options.silenceTimeoutMs;
    this.lastInboundMs = performance.now();
    this.probeSentMs = NaN;
    if (timeoutMs === undefined) return;
    const timer = setInterval(() => this.checkLiveness(client, timeoutMs), Math.max(5, timeoutMs / 8));
    timer.unref();
    this.livenessTimer = timer;
  }

  private stopLiveness(): void {
    clearInterval(this.livenessTimer);
    this.livenessTimer = undefined;
    this.probeSentMs = NaN;
  }

  private checkLiveness(client: MqttClient, timeoutMs: number): void {
    if (this.client !== client || !this.up || this.closing) return;
    const now = performance.now();
    if (now - this.lastInboundMs <= timeoutMs / 2) return;
    if (Number.isNaN(this.probeSentMs)) {
      this.probeSentMs = now;
      client.sendPing();
      return;
    }
    if (now - this.probeSentMs <= timeoutMs) return;
    // After a stalled event loop the answer may be sitting unread in the socket: let the poll
    // phase read it first, and reset only if the probe is still unanswered.
    const probe = this.probeSentMs;
    setImmediate(() => {
      if (this.client !== client || !this.up || this.closing || this.probeSentMs !== probe) return;
      const silentMs = Math.round(performance.now() - this.lastInboundMs);
      this.lastError = `no packet from the broker for ${silentMs} ms (ping unanswered): connection reset`;
      resetSocket(client.stream);
    });
  }
}

/**
 * Aborts a connection with RST where the transport allows it (plain TCP): unlike a close, which
 * still sends what the kernel holds once the network heals, a reset discards it. TLS and
 * WebSocket streams cannot be reset from here and are destroyed (closed) instead.
 */
function resetSocket(stream: MqttClient['stream']): void {
  if (stream instanceof Socket && !(stream instanceof TLSSocket)) {
    try {
      stream.resetAndDestroy();
      return;
    } catch {
      // No TCP handle after all: close it below.
    }
  }
  stream.destroy();
}
