/**
 * Hardware in the loop over MQTT, whole: controller -> MQTT driver -> broker -> virtual board
 * (MuJoCo cart-pole, raw JSON fields) -> broker -> driver -> controller, composed by
 * RobotStack from a robot config as `mbrl run` does. Mid-run the broker restarts: the
 * controller must fall back to the safe action while data is missing, the driver must
 * reconnect, and logging must resume, with every transition read back from the MCAP log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeviceConfig } from '../../src/config/device-loader.js';
import type { MqttDevice } from '../../src/config/device-schema.js';
import { packageRoot } from '../../src/config/package-paths.js';
import { loadRobotConfig } from '../../src/config/robot-loader.js';
import { loadTask } from '../../src/config/task-loader.js';
import { readTransitionLog } from '../../src/datalog/transition-log-reader.js';
import { Calibration } from '../../src/hardware/calibration/calibration.js';
import { DeviceMapping } from '../../src/hardware/device-mapping.js';
import { startTestBroker } from '../../src/hardware/testing/mqtt-test-broker.js';
import { waitFor } from '../../src/hardware/testing/wait-for.js';
import type { DriverStats } from '../../src/nodes/drivers/driver-diagnostics.js';
import { RobotStack } from '../../src/robot/robot-stack.js';
import { setLogSink } from '../../src/runtime/logger.js';
import { VirtualMqttDevice } from '../../src/virtual-devices/virtual-mqtt-device.js';

test('cart-pole over MQTT: the loop closes through the broker and survives a broker restart', async () => {
  setLogSink(() => undefined);
  const root = packageRoot();
  const dir = mkdtempSync(join(tmpdir(), 'mqtt-loop-'));
  const broker = await startTestBroker();
  const deviceFile = join(root, 'hardware/devices/cartpole-mqtt.yaml');
  const calibrationFile = join(root, 'calibration/cartpole.yaml');
  const device = loadDeviceConfig(deviceFile) as MqttDevice;
  const loadedTask = loadTask('cartpole-swingup');
  const board = await VirtualMqttDevice.create({
    device,
    mapping: DeviceMapping.create({
      device,
      calibration: Calibration.load(calibrationFile),
      deviceFile,
      task: loadedTask.task,
    }),
    task: loadedTask,
    brokerUrl: broker.url,
    seed: 3,
    startState: 'mean',
    deviceFile,
  });
  const robotFile = join(dir, 'robot.yaml');
  writeFileSync(
    robotFile,
    [
      'robot: cartpole',
      'task: cartpole-swingup',
      'control: { rate_hz: 25, stale_timeout_s: 0.1, clock: wall }',
      'controller: { type: random, seed: 5, smoothing: 0.8 }',
      `logger: { dir: ${JSON.stringify(join(dir, 'logs'))}, flush_interval_s: 0.2 }`,
      'drivers:',
      `  - { type: mqtt, device: ${JSON.stringify(deviceFile)}, calibration: ${JSON.stringify(calibrationFile)}, broker_url: ${JSON.stringify(broker.url)} }`,
    ].join('\n'),
  );
  const stack = await RobotStack.create({
    config: loadRobotConfig(robotFile),
    task: loadedTask,
    purpose: 'run',
    seed: 7,
  });
  try {
    board.start();
    stack.start();
    await waitFor(() => stack.logger.stats.transitions >= 40, '40 logged transitions', 20_000);
    const safeBefore = stack.controller.stats.safeTicks;

    const driverStats = () => stack.drivers[0].stats() as Readonly<DriverStats>;
    // While the broker is down, no state arrives: the controller must fall back to the safe action.
    await broker.restart(() =>
      waitFor(
        () => !driverStats().connected && stack.controller.stats.safeTicks > safeBefore + 2,
        'the driver to see the outage and the controller to go safe',
        20_000,
      ),
    );
    await waitFor(
      () => driverStats().reconnects >= 1 && driverStats().connected,
      'the driver to reconnect',
      20_000,
    );
    const atReconnect = stack.logger.stats.transitions;
    await waitFor(() => stack.logger.stats.transitions >= atReconnect + 40, '40 more transitions', 20_000);
    const summary = await stack.stop();

    // While the broker was away the state went stale: the controller sent the safe action.
    assert.ok(
      stack.controller.stats.safeTicks > safeBefore,
      `safe ticks ${safeBefore} -> ${stack.controller.stats.safeTicks}`,
    );
    const stats = summary.drivers[0].stats as DriverStats;
    assert.equal(stats.badFrames, 0);
    assert.ok(stats.commandsSent >= 80);
    const { records } = await readTransitionLog(join(dir, 'logs'));
    assert.equal(records.length, summary.transitions);
    const random = records.filter((r) => r.source === 'random');
    assert.ok(random.length >= 70, `random transitions ${random.length} of ${records.length}`);
    assert.ok(
      records.some((r) => r.source === 'safe'),
      'the outage shows as safe transitions',
    );
    const carts = random.map((r) => r.state[0]);
    assert.ok(Math.max(...carts) - Math.min(...carts) > 0.01, 'the random actions moved the cart');
  } finally {
    await stack.stop();
    await board.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
