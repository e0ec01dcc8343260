/**
 * The MQTT driver against a real broker (mosquitto when installed, else aedes: see
 * mqtt-test-broker.ts); a raw mqtt.js client plays the board. Each test uses its own topic
 * prefix, so retained availability messages of one test never reach another.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { connect } from 'mqtt';
import { loadDeviceConfig } from '../../config/device-loader.js';
import type { MqttDevice } from '../../config/device-schema.js';
import { packageRoot } from '../../config/package-paths.js';
import { loadTask } from '../../config/task-loader.js';
import { Calibration } from '../../hardware/calibration/calibration.js';
import { DeviceMapping } from '../../hardware/device-mapping.js';
import { startTestBroker, type TestBroker } from '../../hardware/testing/mqtt-test-broker.js';
import { waitFor } from '../../hardware/testing/wait-for.js';
import { InProcessBus } from '../../runtime/in-process-bus.js';
import { MemoryLogger } from '../../runtime/memory-logger.js';
import { float64Array, type DiagnosticArrayMsg, type JointStateMsg } from '../../runtime/messages.js';
import {
  JsonFieldCodec,
  MqttDriverNode,
  mqttConnectionSettings,
  type MqttDriverNodeOptions,
} from './mqtt-driver-node.js';

const root = packageRoot();
const deviceFile = join(root, 'hardware/devices/cartpole-mqtt.yaml');
const task = loadTask('cartpole-swingup').task;
const calibration = Calibration.load(join(root, 'calibration/cartpole.yaml'));
const env = { MQTT_USERNAME: 'robot', MQTT_PASSWORD: 'not-logged-secret' };
const TICK = 0.0001; // m per cart tick
const POLE_TICK = (2 * Math.PI) / 16384;

let broker: TestBroker;
before(async () => {
  broker = await startTestBroker();
});
after(() => broker?.stop());

function baseDevice(): MqttDevice {
  const device = loadDeviceConfig(deviceFile);
  assert.equal(device.transport, 'mqtt');
  return device as MqttDevice;
}

/** The shipped device with every topic under `prefix/`. */
function prefixed(device: MqttDevice, prefix: string): MqttDevice {
  const p = (topic: string) => `${prefix}/${topic}`;
  const { mqtt } = device;
  return {
    ...device,
    mqtt: {
      ...mqtt,
      availability_topic: mqtt.availability_topic && p(mqtt.availability_topic),
      device_availability_topic: mqtt.device_availability_topic && p(mqtt.device_availability_topic),
    },
    sensor_topics: device.sensor_topics.map((t) => ({ ...t, topic: p(t.topic) })),
    command_topic: { ...device.command_topic, topic: p(device.command_topic.topic) },
  };
}

let rigCount = 0;

/** The driver on an in-process bus, an observer node, and a raw client playing the board. */
async function rig(
  t: TestContext,
  options: {
    device?: MqttDevice;
    brokerUrl?: string;
    onRawSensors?: MqttDriverNodeOptions['onRawSensors'];
  } = {},
) {
  const prefix = `t${process.pid}-${rigCount++}`;
  const device = prefixed(options.device ?? baseDevice(), prefix);
  const mapping = DeviceMapping.create({ device, calibration, deviceFile, task });
  const logs = new MemoryLogger('test');
  const bus = new InProcessBus({ loggerFactory: logs.factory });
  const driver = new MqttDriverNode(bus.createNode('mqtt_driver'), {
    device,
    mapping,
    deviceFile,
    brokerUrl: options.brokerUrl ?? broker.url,
    env,
    diagnosticsPeriodSeconds: 0.1,
    onRawSensors: options.onRawSensors,
  });
  const observer = bus.createNode('observer');
  const states: JointStateMsg[] = [];
  observer.createSubscription('sensor_msgs/msg/JointState', 'joint_states', (m) => states.push(m));
  const diagnostics: DiagnosticArrayMsg[] = [];
  observer.createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', (m) =>
    diagnostics.push(m),
  );
  const commandPub = observer.createPublisher('std_msgs/msg/Float64MultiArray', 'command');

  const board = connect(options.brokerUrl ?? broker.url, {
    clientId: `${prefix}-board`,
    reconnectPeriod: 50,
  });
  board.on('error', () => undefined);
  const received: { topic: string; text: string; retain: boolean }[] = [];
  board.on('message', (topic, payload, packet) =>
    received.push({ topic, text: payload.toString(), retain: packet.retain }),
  );
  t.after(async () => {
    await driver.close();
    await board.endAsync(true);
    await bus.shutdown();
  });
  await waitFor(() => board.connected, 'board client connected');
  const watched = [device.command_topic.topic, device.mqtt.availability_topic ?? ''].filter(Boolean);
  await board.subscribeAsync(Object.fromEntries(watched.map((topic) => [topic, { qos: 1 as const }])));
  const sensorTopic = device.sensor_topics[0].topic;
  const on = (topic: string) => received.filter((r) => r.topic === topic);
  return {
    device,
    driver,
    states,
    diagnostics,
    logs,
    board,
    received,
    sensorTopic,
    /** Messages the driver sent on the command topic, parsed. */
    commands: () => on(device.command_topic.topic).map((r) => JSON.parse(r.text) as { pwm: number }),
    availability: () => on(device.mqtt.availability_topic ?? '').map((r) => r.text),
    command: (action: number[]) => commandPub.publish(float64Array(action)),
    /** Publishes a good state until the driver has published a JointState from it (subscriptions settle). */
    async primed(): Promise<void> {
      await waitFor(() => driver.connected, 'driver connected');
      const n = states.length;
      await waitFor(() => {
        board.publish(sensorTopic, JSON.stringify(goodState(0)));
        return states.length > n;
      }, 'first joint state');
    },
  };
}

function goodState(cartTicks: number) {
  return { cart: { ticks: cartTicks, speed: -200, current_ma: 200 }, pole: { ticks: 4096, speed: 100 } };
}

test('sensor JSON becomes a calibrated JointState; the broker URL shows without credentials', async (t) => {
  const port = new URL(broker.url).port;
  const r = await rig(t, { brokerUrl: `mqtt://robot:url-secret@127.0.0.1:${port}` });
  r.driver.start();
  await r.primed();
  r.board.publish(r.sensorTopic, JSON.stringify(goodState(1500)));
  // primed() may still have messages in flight: wait for this one's values.
  await waitFor(() => r.states.at(-1)?.position[0] !== 0, 'joint state of the 1500-tick message');
  const js = r.states[r.states.length - 1];
  assert.deepEqual(js.name, ['slider', 'hinge']);
  assert.ok(Math.abs(js.position[0] - 1500 * TICK) < 1e-12);
  // The encoder counts against MuJoCo's hinge axis (sign -1 in the calibration).
  assert.ok(Math.abs(js.position[1] + 4096 * POLE_TICK) < 1e-12);
  assert.ok(Math.abs(js.velocity[0] + 200 * TICK) < 1e-12);
  assert.ok(Math.abs(js.velocity[1] + 100 * POLE_TICK) < 1e-12);
  assert.ok(Math.abs(js.effort[0] - 0.5) < 1e-12, `effort ${js.effort[0]}`);

  assert.equal(r.driver.url, `mqtt://127.0.0.1:${port}`);
  await waitFor(() => r.diagnostics.length > 0, 'diagnostics');
  const status = r.diagnostics[r.diagnostics.length - 1].status[0];
  assert.equal(status.hardware_id, `mqtt://127.0.0.1:${port}`);
  const logged = r.logs.entries.map((e) => e.message).join('\n');
  assert.doesNotMatch(logged, /url-secret|not-logged-secret/);
  assert.match(logged, /connected as mbrl-cartpole-mqtt-driver-/);
});

test('a command on the bus becomes JSON with the raw PWM; when commands stop the watchdog sends PWM 0', async (t) => {
  const r = await rig(t);
  r.driver.start();
  await r.primed();
  r.command([0.25]);
  await waitFor(() => r.commands().some((c) => c.pwm === 250), 'pwm 250 on the command topic');
  const afterCommand = r.commands().length;
  // No more commands: within timeout + check period the watchdog sends the safe command.
  await waitFor(
    () =>
      r
        .commands()
        .slice(afterCommand)
        .some((c) => c.pwm === 0),
    'safe command (pwm 0)',
  );
  assert.ok(r.driver.watchdogActive);
  assert.ok(r.driver.stats.safeCommandsSent >= 1);
  assert.equal(r.driver.stats.commandsSent, 1);
  r.command([0.1, 0.2]);
  assert.equal(r.driver.stats.commandsRejected, 1);
  assert.deepEqual(Object.keys(r.commands()[0]), ['pwm']);
});

test('bad payloads are counted by kind, name topic and key, and good messages keep flowing', async (t) => {
  const r = await rig(t);
  r.driver.start();
  await r.primed();
  const bad: [string, string | Buffer][] = [
    ['not_json', '{"cart": {"ticks": 1'],
    ['not_object', '[1, 2, 3]'],
    ['missing_field', JSON.stringify({ cart: { speed: 1, current_ma: 0 }, pole: { ticks: 0, speed: 0 } })],
    ['missing_field', JSON.stringify({ cart: 5, pole: { ticks: 0, speed: 0 } })],
    ['non_finite', JSON.stringify({ ...goodState(0), pole: { ticks: 'NaN', speed: 0 } })],
    [
      'non_finite',
      '{"cart": {"ticks": 1e999, "speed": 0, "current_ma": 0}, "pole": {"ticks": 0, "speed": 0}}',
    ],
    ['not_number', JSON.stringify({ ...goodState(0), pole: { ticks: 0, speed: true } })],
    ['oversize', JSON.stringify({ ...goodState(0), padding: 'x'.repeat(70 * 1024) })],
    ['not_number', JSON.stringify({ ...goodState(0), cart: { ticks: 'abc', speed: 0, current_ma: 0 } })],
  ];
  for (const [, payload] of bad) r.board.publish(r.sensorTopic, payload);
  r.board.publish(r.sensorTopic, JSON.stringify(goodState(42)));
  // Messages from one client on one topic arrive in order: the 42 comes after all bad ones.
  await waitFor(() => r.states.at(-1)?.position[0] !== 0, 'the joint state after the bad payloads');
  const stats = r.driver.stats;
  assert.equal(stats.badFrames, bad.length, JSON.stringify(stats.badFramesByKind));
  const byKind: Record<string, number> = {};
  for (const [kind] of bad) byKind[kind] = (byKind[kind] ?? 0) + 1;
  assert.deepEqual(stats.badFramesByKind, byKind);
  assert.equal(stats.lastError, `${r.sensorTopic}: field "cart.ticks": expected a finite number, got "abc"`);
  assert.ok(Math.abs(r.states[r.states.length - 1].position[0] - 42 * TICK) < 1e-12);
  assert.ok(r.logs.at('warn').some((e) => /bad not_json input: .*: not JSON/.test(e.message)));
});

test('the codec names what is wrong with a payload', () => {
  const codec = new JsonFieldCodec('board/state', [
    { name: 'a', key: 'x.a' },
    { name: 'b', key: undefined },
  ]);
  const err = (payload: string) => {
    const result = codec.decode(Buffer.from(payload));
    assert.ok(!(result instanceof Float64Array), `expected an error for ${payload}`);
    return result.message;
  };
  assert.equal(err('{"x": {"a": 1}}'), 'board/state: field "b": missing');
  assert.equal(err('{"x": 3, "b": 1}'), 'board/state: field "x.a": missing ("x" is 3)');
  assert.equal(
    err('{"x": {"a": "Infinity"}, "b": 1}'),
    'board/state: field "x.a": expected a finite number, got "Infinity"',
  );
  assert.equal(err('null'), 'board/state: expected a JSON object, got null');
  assert.deepEqual(
    Array.from(codec.decode(Buffer.from('{"x": {"a": -1.5}, "b": 2, "extra": "ok"}')) as Float64Array),
    [-1.5, 2],
  );
  assert.equal(codec.encode([1, 2]), '{"x":{"a":1},"b":2}');
  assert.throws(() => codec.encode([NaN, 2]), /field "x.a" is NaN/);
  assert.throws(
    () =>
      new JsonFieldCodec('t', [
        { name: 'a', key: 'p' },
        { name: 'b', key: 'p.q' },
      ]),
    /conflict/,
  );
});

test('TLS files and credentials are read relative to the device file; a missing file is named', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mbrl-mqtt-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'ca.pem'), 'CA');
  writeFileSync(join(dir, 'password'), 'pw\n');
  const base = baseDevice();
  const device: MqttDevice = {
    ...base,
    mqtt: {
      ...base.mqtt,
      broker_url: 'mqtts://broker.example:8883',
      credentials: { username_env: 'MQTT_USERNAME', password_file: 'password' },
      tls: { ca_file: 'ca.pem', reject_unauthorized: false },
    },
  };
  const settings = mqttConnectionSettings(device, { deviceFile: join(dir, 'board.yaml'), env });
  assert.equal(settings.tls?.ca?.toString(), 'CA');
  assert.equal(settings.tls?.cert, undefined);
  assert.equal(settings.tls?.rejectUnauthorized, false);
  assert.deepEqual(settings.credentials, { username: 'robot', password: 'pw' });
  const missing = {
    ...device,
    mqtt: { ...device.mqtt, tls: { cert_file: 'client.crt', reject_unauthorized: true } },
  };
  assert.throws(
    () => mqttConnectionSettings(missing, { deviceFile: join(dir, 'board.yaml'), env }),
    new RegExp(`cannot read ${join(dir, 'client.crt')} \\(tls.cert_file\\): ENOENT`),
  );
});

/** The shipped device with its state split over two topics: board/cart and board/pole (sensor_hz 100). */
function splitDevice(): MqttDevice {
  const base = baseDevice();
  const fields = base.sensor_topics[0].fields;
  return {
    ...base,
    sensor_topics: [
      {
        topic: 'board/cart',
        qos: 0,
        fields: fields.filter((f) => f.name.startsWith('cart') || f.name === 'motor_current'),
      },
      { topic: 'board/pole', qos: 1, fields: fields.filter((f) => f.name.startsWith('pole')) },
    ],
  };
}

const cart = (ticks: number) => JSON.stringify({ cart: { ticks, speed: 0, current_ma: 0 } });
const pole = (ticks: number) => JSON.stringify({ pole: { ticks, speed: 0 } });

test('several sensor topics: a JointState once every topic has been seen, then on every update', async (t) => {
  const r = await rig(t, { device: splitDevice() });
  const [cartTopic, poleTopic] = r.device.sensor_topics.map((s) => s.topic);
  r.driver.start();
  // The driver subscribes before it announces "online" on the same connection, so once the
  // board sees "online" the subscriptions are in place.
  await waitFor(() => r.availability().includes('online'), 'driver online');
  r.board.publish(cartTopic, cart(10));
  r.board.publish(cartTopic, cart(11));
  r.board.publish(poleTopic, pole(100));
  await waitFor(() => r.states.length > 0, 'joint state once both topics were seen');
  // Cart messages alone made none: the first JointState already has the pole's value.
  assert.equal(r.states.length, 1);
  assert.ok(Math.abs(r.states[0].position[0] - 11 * TICK) < 1e-12);
  assert.ok(Math.abs(r.states[0].position[1] + 100 * POLE_TICK) < 1e-12);
  assert.equal(r.states.length, r.driver.stats.framesOk);
  const n = r.states.length;
  r.board.publish(cartTopic, cart(20));
  await waitFor(() => r.states.length > n, 'joint state on a cart update');
  const js = r.states[r.states.length - 1];
  assert.ok(Math.abs(js.position[0] - 20 * TICK) < 1e-12);
  assert.ok(Math.abs(js.position[1] + 100 * POLE_TICK) < 1e-12, 'pole value kept from its last message');
});

test('availability: retained "online", the last will "offline" on an unclean drop, "offline" on close', async (t) => {
  const r = await rig(t);
  r.driver.start();
  await waitFor(() => r.availability().includes('online'), '"online" on the availability topic');
  const client = r.driver.mqttClient;
  assert.ok(client);
  // Cut the TCP connection without DISCONNECT, as a crash or a pulled cable would.
  client.stream.destroy();
  await waitFor(() => r.availability().includes('offline'), 'the last will "offline"');
  // The driver reconnects and announces itself again.
  await waitFor(
    () => r.driver.connected && r.availability().lastIndexOf('online') > r.availability().indexOf('offline'),
    'online again',
  );
  assert.ok(r.driver.stats.reconnects >= 1);
  const safeBefore = r.driver.stats.safeCommandsSent;
  await r.driver.close();
  assert.equal(r.driver.stats.safeCommandsSent, safeBefore + 1, 'close() sent the safe command');
  const late = connect(broker.url, { reconnectPeriod: 0 });
  t.after(() => late.endAsync(true));
  const retained: string[] = [];
  late.on('message', (_topic, payload, packet) => {
    if (packet.retain) retained.push(payload.toString());
  });
  await late.subscribeAsync(r.device.mqtt.availability_topic ?? '', { qos: 1 });
  await waitFor(() => retained.length > 0, 'retained availability');
  assert.deepEqual(retained, ['offline']);
  await waitFor(() => r.commands().at(-1)?.pwm === 0, 'the safe command from close()');
});

test('the board reporting "offline" on its availability topic is logged and shows in diagnostics', async (t) => {
  const r = await rig(t);
  r.driver.start();
  await r.primed();
  const topic = r.device.mqtt.device_availability_topic ?? '';
  r.board.publish(topic, 'online', { retain: true, qos: 1 });
  await waitFor(() => r.driver.boardAvailability === 'online', 'board online');
  r.board.publish(topic, 'offline', { retain: true, qos: 1 });
  await waitFor(() => r.driver.boardAvailability === 'offline', 'board offline');
  assert.ok(r.logs.at('warn').some((e) => e.message === `board reports offline on ${topic}`));
  const n = r.diagnostics.length;
  await waitFor(() => r.diagnostics.length > n, 'next diagnostics');
  const values = r.diagnostics[r.diagnostics.length - 1].status[0].values;
  assert.equal(values.find((v) => v.key === 'last_error')?.value, `board reports offline on ${topic}`);
  r.board.publish(topic, '', { retain: true, qos: 1 }); // clear the retained message
});

test('commands are dropped, not queued, while the broker is unreachable; connection attempts back off', async (t) => {
  // A port that just had a broker on it and now refuses connections.
  const gone = await startTestBroker({ log: () => undefined });
  await gone.stop();
  const device = prefixed(baseDevice(), `t${process.pid}-unreachable`);
  const mapping = DeviceMapping.create({ device, calibration, deviceFile, task });
  const bus = new InProcessBus({ loggerFactory: new MemoryLogger('test').factory });
  const driver = new MqttDriverNode(bus.createNode('mqtt_driver'), {
    device,
    mapping,
    deviceFile,
    brokerUrl: gone.url,
    env,
  });
  t.after(async () => {
    await driver.close();
    await bus.shutdown();
  });
  const command = bus.createNode('observer').createPublisher('std_msgs/msg/Float64MultiArray', 'command');
  driver.start();
  await waitFor(() => driver.stats.connectAttempts >= 3, 'three connection attempts');
  command.publish(float64Array([0.5]));
  assert.equal(driver.stats.commandsSent, 0);
  assert.ok(driver.stats.commandsDropped >= 1);
  assert.equal(driver.connected, false);
  assert.match(driver.stats.lastError, /ECONNREFUSED/);
});

test('the driver reconnects after a broker restart and sensor flow resumes', async (t) => {
  const own = await startTestBroker({ log: (m) => t.diagnostic(m) });
  t.after(() => own.stop());
  const r = await rig(t, { brokerUrl: own.url });
  r.driver.start();
  await r.primed();
  await own.restart();
  await waitFor(() => r.driver.stats.reconnects >= 1 && r.driver.connected, 'driver reconnected');
  await waitFor(() => r.board.connected, 'board client reconnected');
  await r.primed();
  assert.ok(r.driver.stats.reconnects >= 1);
  assert.equal(r.driver.stats.badFrames, 0);
});

test('a silent sensor topic stops the JointStates (counted as stale_topic) until it speaks again', async (t) => {
  const r = await rig(t, { device: splitDevice() });
  const [cartTopic, poleTopic] = r.device.sensor_topics.map((s) => s.topic);
  r.driver.start();
  await waitFor(() => r.availability().includes('online'), 'driver online');
  let poleSilent = false;
  const publisher = setInterval(() => {
    r.board.publish(cartTopic, cart(10));
    if (!poleSilent) r.board.publish(poleTopic, pole(100));
  }, 10);
  t.after(() => clearInterval(publisher));
  await waitFor(() => r.states.length > 5, 'joint states from both topics');

  poleSilent = true;
  // A fence: messages from one client arrive in order, so once the driver has counted this bad
  // payload it has handled every pole message.
  r.board.publish(cartTopic, 'fence (not JSON)');
  await waitFor(() => r.driver.stats.badFramesByKind.not_json === 1, 'the fence');
  const stale = () => r.driver.stats.badFramesByKind.stale_topic ?? 0;
  const before = stale();
  await waitFor(() => stale() > before, 'a stale_topic bad frame');
  assert.match(r.driver.stats.lastError, new RegExp(`^${poleTopic}: no message for \\d+ ms`));
  // The pole topic is past its maximum age and only gets older: every cart update is stale
  // from here on, so no JointState with the frozen pole values.
  const n = r.states.length;
  await waitFor(() => stale() >= before + 6, 'more stale cart updates');
  assert.equal(r.states.length, n, 'no JointState while the pole topic is silent');

  poleSilent = false;
  await waitFor(() => r.states.length > n + 5, 'joint states again once the pole topic resumes');
  clearInterval(publisher);
});

test('a throwing onRawSensors is counted as a handler bad frame and the driver keeps running', async (t) => {
  let fail = true;
  const r = await rig(t, {
    onRawSensors: () => {
      if (fail) throw new Error('recorder exploded');
    },
  });
  r.driver.start();
  await waitFor(() => r.availability().includes('online'), 'driver online');
  await waitFor(() => {
    r.board.publish(r.sensorTopic, JSON.stringify(goodState(0)));
    return (r.driver.stats.badFramesByKind.handler ?? 0) >= 2;
  }, 'handler bad frames');
  assert.equal(r.driver.stats.lastError, `${r.sensorTopic}: recorder exploded`);
  assert.equal(r.states.length, 0);
  assert.ok(r.driver.connected, 'still connected');
  fail = false;
  await r.primed();
  assert.ok(r.driver.stats.framesOk >= 1);
});

test('with the socket backed up, commands are dropped but the safe command still goes out', async (t) => {
  const r = await rig(t);
  r.driver.start();
  await r.primed();
  r.command([0.25]);
  await waitFor(() => r.commands().some((c) => c.pwm === 250), 'pwm 250 on the command topic');
  const stream = r.driver.mqttClient?.stream;
  assert.ok(stream);
  // Pretend 1 MiB is waiting in the socket (far beyond the backlog gate).
  Object.defineProperty(stream, 'writableLength', { configurable: true, get: () => 1 << 20 });
  t.after(() => Reflect.deleteProperty(stream, 'writableLength'));
  const dropped = r.driver.stats.commandsDropped;
  const safe = r.driver.stats.safeCommandsSent;
  r.command([0.5]);
  assert.equal(r.driver.stats.commandsDropped, dropped + 1);
  assert.equal(r.driver.stats.commandsSent, 1);
  // No command since 250 got through, so the watchdog sends the (urgent) safe command anyway.
  await waitFor(() => r.driver.stats.safeCommandsSent > safe, 'the safe command sent');
  await waitFor(() => r.commands().at(-1)?.pwm === 0, 'pwm 0 on the command topic');
  assert.ok(!r.commands().some((c) => c.pwm === 500), 'the backed-up command was not sent');
  Reflect.deleteProperty(stream, 'writableLength');
});
