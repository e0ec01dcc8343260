/**
 * Hardware-in-the-loop over MQTT: the virtual board (MuJoCo in real time behind JSON topics)
 * and the real driver, both connected to a real broker (mosquitto when installed, else aedes).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { connect } from 'mqtt';
import { loadDeviceConfig } from '../config/device-loader.js';
import type { MqttDevice } from '../config/device-schema.js';
import { packageRoot } from '../config/package-paths.js';
import { loadTask } from '../config/task-loader.js';
import { Calibration } from '../hardware/calibration/calibration.js';
import { DeviceMapping } from '../hardware/device-mapping.js';
import { startTestBroker, type TestBroker } from '../hardware/testing/mqtt-test-broker.js';
import { waitFor } from '../hardware/testing/wait-for.js';
import { MqttDriverNode } from '../nodes/drivers/mqtt-driver-node.js';
import { InProcessBus } from '../runtime/in-process-bus.js';
import { MemoryLogger } from '../runtime/memory-logger.js';
import { float64Array, type JointStateMsg } from '../runtime/messages.js';
import { VirtualMqttDevice } from './virtual-mqtt-device.js';

const root = packageRoot();
const deviceFile = join(root, 'hardware/devices/cartpole-mqtt.yaml');
const loadedTask = loadTask('cartpole-swingup');
const calibration = Calibration.load(join(root, 'calibration/cartpole.yaml'));
const env = { MQTT_USERNAME: 'robot', MQTT_PASSWORD: 'secret' };
/** Calibration resolution: one cart tick (m), one pole tick (rad). */
const CART_TICK = 0.0001;
const POLE_TICK = (2 * Math.PI) / 16384;

let broker: TestBroker;
before(async () => {
  broker = await startTestBroker();
});
after(() => broker?.stop());

let rigCount = 0;

/** The virtual board and the driver on one broker, topics under a per-test prefix. */
async function rig(t: TestContext, startState: 'mean' | 'random' = 'mean') {
  const base = loadDeviceConfig(deviceFile);
  assert.equal(base.transport, 'mqtt');
  const prefix = `v${process.pid}-${rigCount++}`;
  const p = (topic: string | undefined) => topic && `${prefix}/${topic}`;
  const device: MqttDevice = {
    ...base,
    mqtt: {
      ...base.mqtt,
      availability_topic: p(base.mqtt.availability_topic),
      device_availability_topic: p(base.mqtt.device_availability_topic),
    },
    sensor_topics: base.sensor_topics.map((s) => ({ ...s, topic: `${prefix}/${s.topic}` })),
    command_topic: { ...base.command_topic, topic: `${prefix}/${base.command_topic.topic}` },
  };
  const mapping = DeviceMapping.create({ device, calibration, deviceFile, task: loadedTask.task });
  const boardLog: string[] = [];
  const board = await VirtualMqttDevice.create({
    device,
    mapping,
    task: loadedTask,
    brokerUrl: broker.url,
    seed: 3,
    startState,
    deviceFile,
    env,
    log: (line) => boardLog.push(line),
  });
  const bus = new InProcessBus({ loggerFactory: new MemoryLogger('test').factory });
  const driver = new MqttDriverNode(bus.createNode('mqtt_driver'), {
    device,
    mapping,
    deviceFile,
    brokerUrl: broker.url,
    env,
  });
  const observer = bus.createNode('observer');
  const states: JointStateMsg[] = [];
  observer.createSubscription('sensor_msgs/msg/JointState', 'joint_states', (m) => states.push(m));
  const commandPub = observer.createPublisher('std_msgs/msg/Float64MultiArray', 'command');
  t.after(async () => {
    await driver.close();
    await board.close();
    await bus.shutdown();
  });
  return {
    device,
    board,
    driver,
    states,
    boardLog,
    command: (a: number[]) => commandPub.publish(float64Array(a)),
  };
}

test('joint states arrive at the sensor rate with the simulator state, within calibration resolution', async (t) => {
  const r = await rig(t, 'mean');
  r.driver.start();
  r.board.start();
  await waitFor(() => r.states.length > 0, 'first joint state from the virtual board');
  const sent0 = r.board.stats.messagesSent;
  const received0 = r.states.length;
  const start = performance.now();
  await waitFor(() => r.board.stats.messagesSent - sent0 >= 50, '50 more sensor messages');
  await waitFor(() => r.states.length - received0 >= 48, 'the driver to receive (almost) all of them');
  const seconds = (performance.now() - start) / 1000;
  t.diagnostic(
    `${((r.states.length - received0) / seconds).toFixed(1)} joint states/s (sensor_hz ${r.device.rates.sensor_hz})`,
  );

  // At rest (the task's mean state, pole hanging): the board's state and the driver's agree.
  const state = r.board.board.state(); // cart_position, pole_angle, cart_velocity, pole_angular_velocity
  const js = r.states[r.states.length - 1];
  assert.deepEqual(js.name, ['slider', 'hinge']);
  assert.ok(Math.abs(js.position[0] - state[0]) <= CART_TICK, `cart ${js.position[0]} vs ${state[0]}`);
  const angleError = Math.abs(
    Math.atan2(Math.sin(js.position[1] - state[1]), Math.cos(js.position[1] - state[1])),
  );
  assert.ok(angleError <= POLE_TICK, `pole ${js.position[1]} vs ${state[1]}`);
  assert.ok(
    Math.abs(js.velocity[0] - state[2]) <= CART_TICK,
    `cart velocity ${js.velocity[0]} vs ${state[2]}`,
  );
  assert.ok(
    Math.abs(js.velocity[1] - state[3]) <= POLE_TICK,
    `pole velocity ${js.velocity[1]} vs ${state[3]}`,
  );
  assert.equal(r.driver.stats.badFrames, 0);
  assert.equal(r.driver.boardAvailability, 'online');
});

test('a constant positive force command moves the simulated cart positive', async (t) => {
  const r = await rig(t, 'mean');
  r.driver.start();
  r.board.start();
  await waitFor(() => r.states.length > 0, 'first joint state');
  const x0 = r.board.board.state()[0];
  // Commands faster than both watchdogs (driver 0.2 s, board firmware 0.5 s) keep the force on.
  const pusher = setInterval(() => r.command([0.5]), 20);
  t.after(() => clearInterval(pusher));
  await waitFor(() => r.board.board.state()[0] > x0 + 0.02, 'the cart to move 2 cm in +x');
  await waitFor(() => (r.states.at(-1)?.position[0] ?? 0) > x0 + 0.02, 'the driver to see it');
  clearInterval(pusher);
  assert.ok(r.board.stats.commandMessages > 0);
  assert.ok(r.board.board.stats.commands > 0);
  assert.equal(r.board.stats.badCommandMessages, 0);
});

test('bad command payloads are counted by the board, never thrown', async (t) => {
  const r = await rig(t);
  r.board.start();
  await waitFor(() => r.board.connected, 'board connected');
  const raw = connect(broker.url, { reconnectPeriod: 0 });
  t.after(() => raw.endAsync(true));
  raw.on('error', () => undefined);
  await waitFor(() => raw.connected, 'raw client connected');
  const topic = r.device.command_topic.topic;
  raw.publish(topic, 'not json');
  raw.publish(topic, '{"pwm": "fast"}');
  raw.publish(topic, '{"pwm": 100}');
  await waitFor(() => r.board.stats.commandMessages >= 1, 'the good command');
  assert.deepEqual(r.board.stats.badCommandsByKind, { not_json: 1, not_number: 1 });
  assert.ok(r.boardLog.some((l) => l.includes(`bad command: ${topic}: not JSON`)));
});

test('board availability: "online" while connected, "offline" after close; both reconnect after a broker restart', async (t) => {
  const r = await rig(t, 'random');
  r.driver.start();
  r.board.start();
  await waitFor(
    () => r.states.length > 0 && r.driver.boardAvailability === 'online',
    'joint states and board online',
  );
  await broker.restart();
  await waitFor(
    () => r.driver.stats.reconnects >= 1 && r.board.stats.connects >= 2,
    'driver and board reconnected',
  );
  const n = r.states.length;
  await waitFor(() => r.states.length > n + 10, 'sensor flow after the restart');
  await r.board.close();
  await waitFor(() => r.driver.boardAvailability === 'offline', 'board offline');
});

test('a command handler that throws is counted by the board, never thrown into mqtt.js', async (t) => {
  const r = await rig(t);
  r.board.start();
  await waitFor(() => r.board.connected, 'board connected');
  const sim = r.board.board;
  const onRawCommand = sim.onRawCommand.bind(sim);
  let fail = true;
  sim.onRawCommand = (raw) => {
    if (fail) throw new Error('simulator exploded');
    onRawCommand(raw);
  };
  const raw = connect(broker.url, { reconnectPeriod: 0 });
  t.after(() => raw.endAsync(true));
  raw.on('error', () => undefined);
  await waitFor(() => raw.connected, 'raw client connected');
  const topic = r.device.command_topic.topic;
  raw.publish(topic, '{"pwm": 100}');
  await waitFor(() => r.board.stats.badCommandsByKind.handler === 1, 'the handler failure counted');
  assert.ok(r.boardLog.some((l) => l.includes(`bad command: ${topic}: simulator exploded`)));
  fail = false;
  const commands = sim.stats.commands;
  raw.publish(topic, '{"pwm": 100}');
  await waitFor(() => sim.stats.commands > commands, 'the next command reaches the simulator');
  assert.ok(r.board.connected);
});
