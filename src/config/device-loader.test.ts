/**
 * Device files: the shipped ones load; schema problems and the loader's cross-checks (fields a
 * joint, IMU or action names, duplicate fields, untagged line frames, unknown safe-command
 * actions) are ConfigErrors naming the file, the line and column, and the field path.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadDeviceConfig } from './device-loader.js';
import { hardwareDir, packageRoot } from './package-paths.js';
import { catchConfigError, writeTree } from './testing.js';

const devicesDir = path.join(hardwareDir(), 'devices');
const shipped = (name: string) => path.join(devicesDir, `${name}.yaml`);
const fixture = (name: string) => path.join(packageRoot(), 'test', 'fixtures', 'devices', `${name}.yaml`);

/**
 * `text` with `from` replaced by `to` (which must occur exactly once, so a changed shipped file
 * fails here instead of silently testing nothing), written to a temp file. Returns the file and
 * `line:column` (1-based) of where `to` starts, `at` of the first occurrence of `mark` in it.
 */
function variant(text: string, from: string, to: string, mark = to): { file: string; at: string } {
  assert.equal(text.split(from).length, 2, `expected exactly one ${JSON.stringify(from)} in the file`);
  const edited = text.replace(from, to);
  const file = path.join(writeTree({ 'device.yaml': edited }), 'device.yaml');
  const offset = edited.indexOf(mark, edited.indexOf(to));
  const before = edited.slice(0, offset).split('\n');
  return { file, at: `${before.length}:${before[before.length - 1].length + 1}` };
}

const serialText = readFileSync(shipped('cartpole-serial'), 'utf8');
const mqttText = readFileSync(shipped('cartpole-mqtt'), 'utf8');

test('every shipped device file loads', () => {
  const files = readdirSync(devicesDir).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 2, `device files: ${files.join(', ')}`);
  for (const f of files) assert.doesNotThrow(() => loadDeviceConfig(path.join(devicesDir, f)), f);
});

test('the serial cart-pole board: COBS frames in raw units, defaults filled in', () => {
  const device = loadDeviceConfig(shipped('cartpole-serial'));
  assert.equal(device.transport, 'serial');
  if (device.transport !== 'serial') return;
  assert.equal(device.device, 'cartpole-serial');
  assert.deepEqual(device.framing, { type: 'cobs', crc: 'crc16-ccitt', max_frame_bytes: 64 });
  assert.equal(device.sensor_frame.id, 0x01);
  assert.deepEqual(
    device.sensor_frame.fields.map((f) => [f.name, f.type, f.endian, f.scale]),
    [
      ['cart_ticks', 'i32', 'little', 1],
      ['pole_ticks', 'i32', 'little', 1],
      ['cart_speed', 'i32', 'little', 1],
      ['pole_speed', 'i32', 'little', 1],
      ['motor_current', 'i16', 'little', 1],
    ],
  );
  assert.deepEqual(
    device.command_frame.fields.map((f) => f.name),
    ['pwm'],
  );
  assert.deepEqual(
    device.joints.map((j) => j.joint),
    ['slider', 'hinge'],
  );
  assert.deepEqual(device.commands, [{ action: 'cart_force', field: 'pwm' }]);
  assert.deepEqual(device.watchdog, { timeout_s: 0.2, safe_command: { cart_force: 0 } });
  assert.deepEqual(device.reconnect, { initial_delay_s: 0.1, max_delay_s: 2, factor: 2 });
  assert.deepEqual(device.imus, []);
});

test('the MQTT cart-pole board: JSON topics carrying the same fields as the serial board', () => {
  const device = loadDeviceConfig(shipped('cartpole-mqtt'));
  assert.equal(device.transport, 'mqtt');
  if (device.transport !== 'mqtt') return;
  assert.equal(device.mqtt.broker_url, 'mqtt://localhost:1883');
  assert.equal(device.mqtt.connect_timeout_s, 5, 'default');
  assert.equal(device.sensor_topics.length, 1);
  assert.deepEqual(device.sensor_topics[0].fields.map((f) => f.name).sort(), [
    'cart_speed',
    'cart_ticks',
    'motor_current',
    'pole_speed',
    'pole_ticks',
  ]);
  assert.equal(device.command_topic.topic, 'cartpole/board/command');
  assert.equal(device.command_topic.qos, 0);
});

test('the ASCII line-board fixture loads with its tags', () => {
  const device = loadDeviceConfig(fixture('line-board'));
  assert.equal(device.transport, 'serial');
  if (device.transport !== 'serial') return;
  assert.deepEqual(device.framing, { type: 'line', checksum: 'xor8', max_line_bytes: 80 });
  assert.equal(device.sensor_frame.tag, 'S');
  assert.equal(device.command_frame.tag, 'C');
});

test('every cross-reference problem of a serial device is reported at its line and field', () => {
  const file = fixture('bad-cross-refs');
  const err = catchConfigError(() => loadDeviceConfig(file));
  assert.equal(err.file, file);
  const sensors = '(sensor_frame has: cart_ticks, pole_ticks, gyro_z)';
  assert.deepEqual(err.message.split('\n'), [
    `${file}:15:15: sensor_frame.fields[2].name: duplicate field "cart_ticks"`,
    `${file}:21:15: command_frame.fields[1].name: duplicate field "pwm"`,
    `${file}:24:32: joints[0].position: unknown sensor field "cart_tick" ${sensors}`,
    `${file}:24:53: joints[0].velocity: unknown sensor field "cart_speed" ${sensors}`,
    `${file}:25:51: joints[1].effort: unknown sensor field "pole_current" ${sensors}`,
    `${file}:26:14: joints[2].joint: joint "slider" mapped twice`,
    `${file}:30:24: imus[0].angular_velocity[0]: unknown sensor field "gyro_x" ${sensors}`,
    `${file}:30:32: imus[0].angular_velocity[1]: unknown sensor field "gyro_y" ${sensors}`,
    `${file}:33:15: commands[1].action: action "cart_force" mapped twice`,
    `${file}:34:29: commands[2].field: unknown command field "brakes" (command_frame has: pwm, brake)`,
    `${file}:36:34: watchdog.safe_command.pole_torque: unknown action "pole_torque" (commands map: cart_force, brake)`,
  ]);
  assert.equal(err.issues.length, 11);
});

test('MQTT fields are checked across all sensor topics and against the command topic', () => {
  const file = fixture('bad-mqtt-refs');
  const err = catchConfigError(() => loadDeviceConfig(file));
  assert.equal(err.file, file);
  assert.deepEqual(err.message.split('\n'), [
    `${file}:16:17: sensor_topics[1].fields[1].name: duplicate field "cart_ticks"`,
    `${file}:23:53: joints[1].velocity: unknown sensor field "pole_speed" (sensor_topics has: cart_ticks, cart_speed, pole_ticks)`,
    `${file}:25:34: commands[0].field: unknown command field "pwm_out" (command_topic has: pwm)`,
  ]);
});

test('a single unknown field in a shipped file is reported with its line, column and path', () => {
  const position = variant(serialText, 'position: cart_ticks', 'position: cart_tick', 'cart_tick');
  const err = catchConfigError(() => loadDeviceConfig(position.file));
  assert.equal(err.file, position.file);
  assert.equal(err.issues.length, 1);
  assert.ok(
    err.message.startsWith(
      `${position.file}:${position.at}: joints[0].position: unknown sensor field "cart_tick"`,
    ),
    err.message,
  );

  const command = variant(mqttText, 'field: pwm }', 'field: pwn }', 'pwn');
  const commandErr = catchConfigError(() => loadDeviceConfig(command.file));
  assert.equal(
    commandErr.message,
    `${command.file}:${command.at}: commands[0].field: unknown command field "pwn" (command_topic has: pwm)`,
  );

  const safe = variant(
    serialText,
    'safe_command: { cart_force: 0 }',
    'safe_command: { cart_force: 0, cart_brake: 1 }',
    'cart_brake',
  );
  const safeErr = catchConfigError(() => loadDeviceConfig(safe.file));
  assert.equal(
    safeErr.message,
    `${safe.file}:${safe.at}: watchdog.safe_command.cart_brake: unknown action "cart_brake" (commands map: cart_force)`,
  );
});

test('line framing without tags is an error at each untagged frame', () => {
  const file = fixture('bad-line-no-tag');
  const err = catchConfigError(() => loadDeviceConfig(file));
  assert.equal(
    err.message,
    `${file}:17:1: command_frame: line framing needs a tag (e.g. tag: S) to tell frames apart`,
  );

  // The shipped binary board switched to lines without adding tags: both frames are untagged.
  const { file: both } = variant(
    serialText,
    'type: cobs\n  crc: crc16-ccitt\n  max_frame_bytes: 64',
    'type: line\n  checksum: xor8',
  );
  const bothErr = catchConfigError(() => loadDeviceConfig(both));
  const line = (key: string) =>
    readFileSync(both, 'utf8')
      .split('\n')
      .findIndex((l) => l.startsWith(`${key}:`)) + 1;
  assert.deepEqual(bothErr.message.split('\n'), [
    `${both}:${line('sensor_frame')}:1: sensor_frame: line framing needs a tag (e.g. tag: S) to tell frames apart`,
    `${both}:${line('command_frame')}:1: command_frame: line framing needs a tag (e.g. tag: S) to tell frames apart`,
  ]);

  // Binary framings identify frames by id (optional), so no tag is needed there.
  assert.doesNotThrow(() => loadDeviceConfig(shipped('cartpole-serial')));
});

/** Schema problems: each is a ConfigError at the offending value, naming its field path. */
const schemaCases: {
  name: string;
  text: string;
  from: string;
  to: string;
  mark: string;
  path: string;
  message: RegExp;
}[] = [
  {
    name: 'an unknown framing type',
    text: serialText,
    from: 'type: cobs',
    to: 'type: slip',
    mark: 'slip',
    path: 'framing.type',
    message: /expected one of "line" \| "cobs" \| "length_prefix", received "slip"/,
  },
  {
    name: 'an unknown CRC kind',
    text: serialText,
    from: 'crc: crc16-ccitt',
    to: 'crc: crc32',
    mark: 'crc32',
    path: 'framing.crc',
    message: /expected one of "none" \| "crc16-ccitt" \| "crc16-modbus", received "crc32"/,
  },
  {
    name: 'a line checksum on a binary framing',
    text: serialText,
    from: 'crc: crc16-ccitt',
    to: 'checksum: xor8',
    mark: 'checksum',
    path: 'framing.checksum',
    message: /unknown key "checksum" \(allowed keys: type, crc, max_frame_bytes\)/,
  },
  {
    name: 'an unknown field type',
    text: serialText,
    from: '{ name: cart_speed, type: i32 }',
    to: '{ name: cart_speed, type: int32 }',
    mark: 'int32',
    path: 'sensor_frame.fields[2].type',
    message:
      /expected one of "i8" \| "u8" \| "i16" \| "u16" \| "i32" \| "u32" \| "f32" \| "f64", received "int32"/,
  },
  {
    name: 'a zero field scale',
    text: serialText,
    from: '{ name: pwm, type: i16 }',
    to: '{ name: pwm, type: i16, scale: 0 }',
    mark: '0 }',
    path: 'command_frame.fields[0].scale',
    message: /scale must be finite and non-zero/,
  },
  {
    name: 'a frame id above 255',
    text: serialText,
    from: 'id: 0x02',
    to: 'id: 0x102',
    mark: '0x102',
    path: 'command_frame.id',
    message: /expected a number <= 255, received 258/,
  },
  {
    name: 'an HTTP broker URL',
    text: mqttText,
    from: 'mqtt://localhost:1883',
    to: 'http://localhost:1883',
    mark: 'http',
    path: 'mqtt.broker_url',
    message:
      /expected a broker URL \(mqtt:\/\/, mqtts:\/\/, ws:\/\/, wss:\/\/, tcp:\/\/ or ssl:\/\/\), received "http:\/\/localhost:1883"/,
  },
  {
    name: 'a broker address without a protocol',
    text: mqttText,
    from: 'mqtt://localhost:1883',
    to: 'localhost:1883',
    mark: 'localhost',
    path: 'mqtt.broker_url',
    message: /expected a broker URL/,
  },
  {
    name: 'a "+" wildcard in a sensor topic',
    text: mqttText,
    from: 'topic: cartpole/board/state',
    to: 'topic: cartpole/+/state',
    mark: 'cartpole/+',
    path: 'sensor_topics[0].topic',
    message: /expected a topic without wildcards \(\+, #\)/,
  },
  {
    name: 'a "#" wildcard in the command topic',
    text: mqttText,
    from: 'topic: cartpole/board/command',
    to: 'topic: cartpole/board/#',
    mark: 'cartpole/board/#',
    path: 'command_topic.topic',
    message: /expected a topic without wildcards/,
  },
  {
    name: 'a wildcard in the availability topic',
    text: mqttText,
    from: '  availability_topic: cartpole/driver/availability',
    to: '  availability_topic: cartpole/driver/#',
    mark: 'cartpole/driver/#',
    path: 'mqtt.availability_topic',
    message: /expected a topic without wildcards/,
  },
  {
    name: 'username_env and username_file both set',
    text: mqttText,
    from: '  keepalive_s: 5\n',
    to: '  keepalive_s: 5\n  credentials:\n    username_env: MQTT_USERNAME\n    username_file: /run/secrets/mqtt_user\n',
    mark: '/run/secrets',
    path: 'mqtt.credentials.username_file',
    message: /give username_env or username_file, not both/,
  },
  {
    name: 'password_env and password_file both set',
    text: mqttText,
    from: '  keepalive_s: 5\n',
    to: '  keepalive_s: 5\n  credentials: { password_env: MQTT_PASSWORD, password_file: /run/secrets/mqtt_pw }\n',
    mark: '/run/secrets',
    path: 'mqtt.credentials.password_file',
    message: /give password_env or password_file, not both/,
  },
  {
    name: 'an inline password',
    text: mqttText,
    from: '  keepalive_s: 5\n',
    to: '  keepalive_s: 5\n  credentials: { password: hunter2 }\n',
    mark: 'password',
    path: 'mqtt.credentials.password',
    message:
      /unknown key "password" \(allowed keys: username_env, username_file, password_env, password_file\)/,
  },
  {
    name: 'an unknown transport',
    text: serialText,
    from: 'transport: serial',
    to: 'transport: usb',
    mark: 'usb',
    path: 'transport',
    message: /expected one of "serial" \| "mqtt", received "usb"/,
  },
];

for (const c of schemaCases) {
  test(`schema: ${c.name} is a ConfigError at ${c.path}`, () => {
    const { file, at } = variant(c.text, c.from, c.to, c.mark);
    const err = catchConfigError(() => loadDeviceConfig(file));
    assert.equal(err.file, file);
    assert.equal(err.issues.length, 1, err.message);
    const prefix = `${file}:${at}: ${c.path}: `;
    assert.ok(err.message.startsWith(prefix), `expected ${prefix}...\ngot ${err.message}`);
    assert.match(err.message, c.message);
  });
}

test('an unreadable or empty device file is a ConfigError naming the file', () => {
  const missing = path.join(writeTree({}), 'nope.yaml');
  const err = catchConfigError(() => loadDeviceConfig(missing));
  assert.equal(err.file, missing);
  assert.match(err.message, /\(root\): cannot read file: ENOENT/);
  const empty = path.join(writeTree({ 'empty.yaml': '# nothing here\n' }), 'empty.yaml');
  assert.match(catchConfigError(() => loadDeviceConfig(empty)).message, /file is empty/);
});
