/**
 * A device file (hardware/devices/*.yaml) describes one robot controller board as its
 * firmware speaks: the transport (a serial port or an MQTT broker), how bytes are framed, the
 * fields of sensor and command frames in raw (wire) units, which joint quantities and actions
 * those fields carry, and what to send when commands stop. Calibration to SI lives in a
 * separate file (calibration/<robot>.yaml), so one board description serves every unit of a
 * robot. The same file drives the real driver and the virtual device that stands in for the
 * board in hardware-in-the-loop tests.
 */
import { z } from 'zod';

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an identifier ([A-Za-z_][A-Za-z0-9_]*)');
const positive = z.number().positive();
const positiveInt = z.int().positive();

/** Binary field types, C-style; floats are IEEE 754. */
export const BINARY_FIELD_TYPES = ['i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'f32', 'f64'] as const;
export type BinaryFieldType = (typeof BINARY_FIELD_TYPES)[number];

export const FieldSchema = z.strictObject({
  name: identifier,
  /** Binary frames: the wire type. Line frames: ints must parse as integers, floats as numbers. */
  type: z.enum(BINARY_FIELD_TYPES).default('f32'),
  /** Byte order of binary fields (ignored by line frames). */
  endian: z.enum(['little', 'big']).default('little'),
  /** Fixed-point scale: value = wire * scale (and wire = round(value / scale) when encoding). */
  scale: z
    .number()
    .refine((s) => s !== 0 && Number.isFinite(s), 'scale must be finite and non-zero')
    .default(1),
});
export type FieldSpec = z.infer<typeof FieldSchema>;

/**
 * One frame kind. Binary frames start with the `id` byte; line frames start with `tag` and a
 * comma. The fields follow in order.
 */
export const FrameLayoutSchema = z.strictObject({
  id: z.int().min(0).max(255).optional(),
  tag: z
    .string()
    .regex(/^[A-Za-z0-9_$]+$/, 'expected a tag of letters, digits, "_" or "$"')
    .optional(),
  fields: z.array(FieldSchema).min(1),
});
export type FrameLayout = z.infer<typeof FrameLayoutSchema>;

export const CRC_KINDS = ['none', 'crc16-ccitt', 'crc16-modbus'] as const;
export type CrcKind = (typeof CRC_KINDS)[number];

/**
 * How frames are delimited on a byte stream.
 * - line: ASCII `TAG,v1,v2,...[*CHK]\n`; checksum xor8 (NMEA style, 2 hex digits) or
 *   crc16-ccitt (4 hex digits) over the bytes before `*`.
 * - cobs: COBS-encoded `id, fields..., crc` terminated by a 0x00 byte.
 * - length_prefix: `sync..., length, id, fields..., crc`; length counts id + fields.
 */
export const FramingSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('line'),
    checksum: z.enum(['none', 'xor8', 'crc16-ccitt']).default('none'),
    /** Lines longer than this are dropped (and counted) up to the next newline. */
    max_line_bytes: positiveInt.default(256),
  }),
  z.strictObject({
    type: z.literal('cobs'),
    crc: z.enum(CRC_KINDS).default('crc16-ccitt'),
    max_frame_bytes: positiveInt.default(256),
  }),
  z.strictObject({
    type: z.literal('length_prefix'),
    /** Bytes that start every frame, so a reader can find the next frame after garbage. */
    sync: z.array(z.int().min(0).max(255)).min(1).max(4).default([0xaa, 0x55]),
    length_bytes: z.union([z.literal(1), z.literal(2)]).default(1),
    length_endian: z.enum(['little', 'big']).default('little'),
    crc: z.enum(CRC_KINDS).default('crc16-ccitt'),
    max_frame_bytes: positiveInt.default(256),
  }),
]);
export type FramingSpec = z.infer<typeof FramingSchema>;

/** Which fields carry one joint's quantities (raw units; calibration maps them to SI). */
export const JointMapSchema = z.strictObject({
  /** Joint name as published in sensor_msgs/JointState (the task's MJCF joint name). */
  joint: z.string().min(1),
  position: identifier,
  velocity: identifier.optional(),
  effort: identifier.optional(),
});
export type JointMap = z.infer<typeof JointMapSchema>;

const vector3 = z.tuple([identifier, identifier, identifier]);

/** An IMU published as sensor_msgs/Imu; absent parts are marked with covariance[0] = -1 (REP 145). */
export const ImuMapSchema = z.strictObject({
  frame_id: z.string().min(1),
  /** Topic relative to the driver's namespace. */
  topic: z.string().min(1),
  /** Fields of the quaternion, in (w, x, y, z) order. */
  orientation: z.tuple([identifier, identifier, identifier, identifier]).optional(),
  angular_velocity: vector3.optional(),
  linear_acceleration: vector3.optional(),
});
export type ImuMap = z.infer<typeof ImuMapSchema>;

/** Which command field carries one action of the task (SI; calibration maps it to raw). */
export const CommandMapSchema = z.strictObject({
  action: identifier,
  field: identifier,
});
export type CommandMap = z.infer<typeof CommandMapSchema>;

export const WatchdogSchema = z.strictObject({
  /** No fresh command for this long: the driver sends the safe command (and repeats it at this period). */
  timeout_s: positive.default(0.2),
  /** The safe command in SI, by action name; actions left out are 0. */
  safe_command: z.record(identifier, z.number()).default({}),
});

export const ReconnectSchema = z.strictObject({
  initial_delay_s: positive.default(0.1),
  max_delay_s: positive.default(5),
  factor: z.number().min(1).default(2),
});

export const RatesSchema = z.strictObject({
  /** How often the board sends sensor frames; the virtual device sends at this rate. */
  sensor_hz: positive.default(100),
});

const deviceCommon = {
  device: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'expected a device name ([A-Za-z][A-Za-z0-9_-]*)'),
  joints: z.array(JointMapSchema).min(1),
  imus: z.array(ImuMapSchema).default([]),
  commands: z.array(CommandMapSchema).min(1),
  watchdog: WatchdogSchema.prefault({}),
  reconnect: ReconnectSchema.prefault({}),
  rates: RatesSchema.prefault({}),
};

export const SerialDeviceSchema = z.strictObject({
  ...deviceCommon,
  transport: z.literal('serial'),
  serial: z.strictObject({
    port: z.string().min(1),
    baud: positiveInt.default(115200),
  }),
  framing: FramingSchema,
  sensor_frame: FrameLayoutSchema,
  command_frame: FrameLayoutSchema,
});

/** A JSON payload field: `key` is a dotted path into the message object (default: the field name). */
export const JsonFieldSchema = z.strictObject({
  name: identifier,
  key: z
    .string()
    .regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, 'expected a dotted key such as "cart.position"')
    .optional(),
});
export type JsonFieldSpec = z.infer<typeof JsonFieldSchema>;

const mqttTopic = z
  .string()
  .min(1)
  .refine((t) => !/[+#]/.test(t), 'expected a topic without wildcards (+, #)');
const mqttQos = z.union([z.literal(0), z.literal(1), z.literal(2)]);

export const MqttTopicSchema = z.strictObject({
  topic: mqttTopic,
  qos: mqttQos.default(0),
  fields: z.array(JsonFieldSchema).min(1),
});
export type MqttTopicSpec = z.infer<typeof MqttTopicSchema>;

/**
 * Credentials come from the environment or from files (e.g. Docker/Kubernetes secrets);
 * never inline, so a device file can be committed. They are never logged.
 */
export const MqttCredentialsSchema = z
  .strictObject({
    username_env: z.string().min(1).optional(),
    username_file: z.string().min(1).optional(),
    password_env: z.string().min(1).optional(),
    password_file: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    if (c.username_env && c.username_file)
      ctx.addIssue({
        code: 'custom',
        path: ['username_file'],
        message: 'give username_env or username_file, not both',
      });
    if (c.password_env && c.password_file)
      ctx.addIssue({
        code: 'custom',
        path: ['password_file'],
        message: 'give password_env or password_file, not both',
      });
  });

export const MqttTlsSchema = z.strictObject({
  ca_file: z.string().min(1).optional(),
  cert_file: z.string().min(1).optional(),
  key_file: z.string().min(1).optional(),
  reject_unauthorized: z.boolean().default(true),
});

export const MqttDeviceSchema = z.strictObject({
  ...deviceCommon,
  transport: z.literal('mqtt'),
  mqtt: z.strictObject({
    broker_url: z.url({
      protocol: /^(mqtts?|wss?|tcp|ssl)$/,
      error: 'expected a broker URL (mqtt://, mqtts://, ws://, wss://, tcp:// or ssl://)',
    }),
    client_id: z.string().min(1).optional(),
    keepalive_s: positiveInt.default(10),
    connect_timeout_s: positive.default(5),
    credentials: MqttCredentialsSchema.optional(),
    tls: MqttTlsSchema.optional(),
    /**
     * The driver's availability: "online" (retained) when connected, "offline" as its
     * last will and on clean shutdown.
     */
    availability_topic: mqttTopic.optional(),
    /** The board's own availability topic, if it publishes one; "offline" there is reported. */
    device_availability_topic: mqttTopic.optional(),
  }),
  sensor_topics: z.array(MqttTopicSchema).min(1),
  command_topic: MqttTopicSchema,
});

export const DeviceSchema = z.discriminatedUnion('transport', [SerialDeviceSchema, MqttDeviceSchema]);

export type SerialDevice = z.infer<typeof SerialDeviceSchema>;
export type MqttDevice = z.infer<typeof MqttDeviceSchema>;
export type DeviceConfig = z.infer<typeof DeviceSchema>;
