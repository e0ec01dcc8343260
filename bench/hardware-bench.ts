/**
 * Round-trip latency through the real transports against the virtual boards: a command is
 * published on the bus, the driver encodes it, the wire (socat pty pair, or the MQTT broker)
 * carries it to the board, the simulator applies it, and the first sensor frame whose motor
 * effort shows it comes back through the wire and the driver as a JointState. The figure
 * includes up to one sensor period (half on average: commands are sent at a random phase) of
 * waiting on the board, which samples at its declared rate, so it is measured at two rates (the cart-pole physics runs at 100 Hz, the ceiling).
 */
import { join } from 'node:path';
import { loadDeviceConfig } from '../src/config/device-loader.js';
import type { DeviceConfig, MqttDevice, SerialDevice } from '../src/config/device-schema.js';
import { packageRoot } from '../src/config/package-paths.js';
import { loadTask, type LoadedTask } from '../src/config/task-loader.js';
import { nearestRank } from '../src/math/percentile.js';
import { Calibration } from '../src/hardware/calibration/calibration.js';
import { DeviceMapping } from '../src/hardware/device-mapping.js';
import { startTestBroker } from '../src/hardware/testing/mqtt-test-broker.js';
import { SocatPtyPair } from '../src/hardware/testing/socat-pty-pair.js';
import { waitFor } from '../src/hardware/testing/wait-for.js';
import { MqttDriverNode } from '../src/nodes/drivers/mqtt-driver-node.js';
import { SerialDriverNode } from '../src/nodes/drivers/serial-driver-node.js';
import { InProcessBus } from '../src/runtime/in-process-bus.js';
import { float64Array } from '../src/runtime/messages.js';
import { setLogSink } from '../src/runtime/logger.js';
import { VirtualMqttDevice } from '../src/virtual-devices/virtual-mqtt-device.js';
import { VirtualSerialDevice } from '../src/virtual-devices/virtual-serial-device.js';
import type { BenchRow } from './bench-report.js';

interface Rig {
  bus: InProcessBus;
  connected: () => boolean;
  close: () => Promise<void>;
}

export async function hardwareBenchmark(seconds: number): Promise<BenchRow[]> {
  setLogSink(() => undefined);
  const root = packageRoot();
  const task = loadTask('cartpole-swingup');
  const calibration = Calibration.load(join(root, 'calibration/cartpole.yaml'));
  const rows: BenchRow[] = [];
  for (const sensorHz of [50, 100]) {
    const serialFile = join(root, 'hardware/devices/cartpole-serial.yaml');
    const serial = withRate(loadDeviceConfig(serialFile), sensorHz) as SerialDevice;
    rows.push(
      await measure('serial (pty)', sensorHz, seconds, () =>
        serialRig(serial, serialFile, calibration, task),
      ),
    );
    const mqttFile = join(root, 'hardware/devices/cartpole-mqtt.yaml');
    const mqtt = withRate(loadDeviceConfig(mqttFile), sensorHz) as MqttDevice;
    rows.push(
      await measure('mqtt (broker)', sensorHz, seconds, () => mqttRig(mqtt, mqttFile, calibration, task)),
    );
  }
  return rows;
}

function withRate(device: DeviceConfig, sensorHz: number): DeviceConfig {
  // The board's own firmware watchdog must not zero the command between our round trips.
  return { ...device, rates: { sensor_hz: sensorHz }, watchdog: { ...device.watchdog, timeout_s: 5 } };
}

async function measure(
  transport: string,
  sensorHz: number,
  seconds: number,
  make: () => Promise<Rig & { label: string }>,
) {
  const rig = await make();
  await waitFor(rig.connected, `${transport} to connect`, 15_000);
  const node = rig.bus.createNode('bench');
  const command = node.createPublisher('std_msgs/msg/Float64MultiArray', 'command');
  let effort = 0;
  let frames = 0;
  node.createSubscription('sensor_msgs/msg/JointState', 'joint_states', (m) => {
    effort = m.effort[0] ?? 0;
    frames++;
  });
  await waitFor(() => frames > 10, 'sensor frames', 15_000);
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  let sign = 1;
  while (performance.now() < end) {
    // Settle at zero force, then step to +-0.5 and time until the effort shows the step.
    command.publish(float64Array([0]));
    await waitFor(() => Math.abs(effort) < 0.2, 'zero effort', 5000, 1);
    // Seen right after a frame, the step would always wait a full sensor period on the board:
    // send it at a random phase instead, as a controller's commands arrive.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * (1000 / sensorHz)));
    const t0 = performance.now();
    command.publish(float64Array([0.5 * sign]));
    await waitFor(() => effort * sign > 2, 'the step in effort', 5000, 0);
    samples.push(performance.now() - t0);
    sign = -sign;
  }
  command.publish(float64Array([0]));
  await rig.close();
  samples.sort((a, b) => a - b);
  return {
    transport,
    sensor_hz: sensorHz,
    round_trips: samples.length,
    p50_ms: round(nearestRank(samples, 0.5)),
    p99_ms: round(nearestRank(samples, 0.99)),
    max_ms: round(samples.at(-1) ?? NaN),
    broker: rig.label,
  };
}

async function serialRig(
  device: SerialDevice,
  deviceFile: string,
  calibration: Calibration,
  task: LoadedTask,
) {
  const mapping = DeviceMapping.create({ device, calibration, deviceFile, task: task.task });
  const pair = await SocatPtyPair.create();
  const board = await VirtualSerialDevice.create({
    device,
    mapping,
    task,
    port: pair.devicePath,
    seed: 1,
    startState: 'mean',
  });
  board.start();
  const bus = new InProcessBus();
  const driver = new SerialDriverNode(bus.createNode('driver'), { device, mapping, port: pair.hostPath });
  driver.start();
  return {
    bus,
    label: '-',
    connected: () => driver.connected,
    close: async () => {
      await driver.close();
      await board.close();
      await pair.close();
      await bus.shutdown();
    },
  };
}

async function mqttRig(device: MqttDevice, deviceFile: string, calibration: Calibration, task: LoadedTask) {
  const mapping = DeviceMapping.create({ device, calibration, deviceFile, task: task.task });
  const broker = await startTestBroker();
  const board = await VirtualMqttDevice.create({
    device,
    mapping,
    task,
    brokerUrl: broker.url,
    seed: 1,
    startState: 'mean',
    deviceFile,
  });
  board.start();
  const bus = new InProcessBus();
  const driver = new MqttDriverNode(bus.createNode('driver'), {
    device,
    mapping,
    deviceFile,
    brokerUrl: broker.url,
  });
  driver.start();
  return {
    bus,
    label: broker.kind,
    connected: () => driver.connected,
    close: async () => {
      await driver.close();
      await board.close();
      await broker.stop();
      await bus.shutdown();
    },
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
