/**
 * Builds the driver nodes a robot config lists: the embedded simulator in real time, serial
 * boards and MQTT boards. Device and calibration files are loaded and cross-checked against
 * the task here, before anything starts, so a bad file stops the run with an error naming it
 * instead of leaving a half-configured robot.
 */
import type { DriverConfig, RobotConfig } from '../config/robot-schema.js';
import type { LoadedTask } from '../config/task-loader.js';
import { MqttDriverNode } from '../nodes/drivers/mqtt-driver-node.js';
import type { DriverStats } from '../nodes/drivers/driver-diagnostics.js';
import { SerialDriverNode } from '../nodes/drivers/serial-driver-node.js';
import { MujocoSimNode } from '../nodes/mujoco-sim-node.js';
import type { RuntimeNode, Transport } from '../runtime/node-api.js';
import { TaskEnvironment } from '../tasks/task-environment.js';
import { loadDriverFiles } from './driver-files.js';

/** One started-or-startable driver, whatever its kind. */
export interface RobotDriver {
  readonly name: string;
  readonly kind: DriverConfig['type'];
  start(): void;
  /** Sends the safe command (hardware) or stops physics (sim), then releases the device. */
  close(): Promise<void>;
  /** Hardware drivers' counters; null for the simulator. */
  stats(): Readonly<DriverStats> | null;
  /** The simulator node, for resets between episodes (sim only). */
  readonly sim?: MujocoSimNode;
}

export interface CreateDriversOptions {
  bus: Transport;
  config: RobotConfig;
  task: LoadedTask;
  seed: number;
  topics: { jointStates: string; command: string };
}

export async function createDrivers(options: CreateDriversOptions): Promise<RobotDriver[]> {
  const { config } = options;
  if (config.drivers.length === 0)
    throw new RangeError(
      `robot "${config.robot}" lists no drivers: nothing would publish joint states or take commands`,
    );
  // Everything is validated before the first node is created.
  const plans = config.drivers.map((driver, index) => planDriver(driver, index, options));
  const drivers: RobotDriver[] = [];
  for (const plan of plans) drivers.push(await plan());
  return drivers;
}

function planDriver(
  driver: DriverConfig,
  index: number,
  options: CreateDriversOptions,
): () => Promise<RobotDriver> {
  if (driver.type === 'sim') {
    checkRealtimeSim(driver, index);
    return () => createSimDriver(index, options);
  }
  // Validated now (files loaded and cross-checked); the node is made when the plan runs.
  loadDriverFiles(driver, index, options.task.task);
  return async () => createHardwareDriver(index, options);
}

function checkRealtimeSim(driver: DriverConfig & { type: 'sim' }, index: number): void {
  if (driver.mode !== 'realtime')
    throw new RangeError(
      `drivers[${index}]: a lockstep simulator is stepped by \`mbrl sim\`; a robot run needs mode: realtime`,
    );
}

/** The embedded simulator `drivers[index]` of the config (on `node` if given), not started. */
export async function createSimDriver(
  index: number,
  options: CreateDriversOptions,
  node?: RuntimeNode,
): Promise<RobotDriver> {
  const { bus, task, topics, config } = options;
  const driver = config.drivers[index];
  if (driver?.type !== 'sim')
    throw new RangeError(`drivers[${index}] of robot "${config.robot}" is not a sim driver`);
  checkRealtimeSim(driver, index);
  const name = driverNodeName(driver, index);
  const env = await TaskEnvironment.create(task);
  const sim = new MujocoSimNode(node ?? bus.createNode(name), {
    env,
    mode: 'realtime',
    seed: options.seed,
    sensorRateHz: driver.sensor_rate_hz,
    noise: { position: driver.noise_std, velocity: driver.noise_std },
    latencySeconds: driver.latency_s,
    topics,
    commandTimeoutSeconds: Math.max(0.1, 2 / config.control.rate_hz),
  });
  return {
    name,
    kind: 'sim',
    sim,
    start: () => {
      sim.reset();
      sim.start();
    },
    close: async () => {
      sim.stop();
      env.dispose();
    },
    stats: () => null,
  };
}

/**
 * The serial or MQTT driver `drivers[index]` of the config, created synchronously (device and
 * calibration files loaded and checked first), not started: for a managed node's configure.
 */
export function createHardwareDriver(
  index: number,
  options: CreateDriversOptions,
  node?: RuntimeNode,
): RobotDriver {
  const { bus, task, topics, config } = options;
  const driver = config.drivers[index];
  if (driver === undefined)
    throw new RangeError(
      `driver_index ${index}: robot "${config.robot}" has ${config.drivers.length} driver(s) (indices 0..${config.drivers.length - 1})`,
    );
  const name = driverNodeName(driver, index);
  if (driver.type === 'sim')
    throw new RangeError(`drivers[${index}] is the simulator, not a serial or MQTT driver`);
  const { device, mapping } = loadDriverFiles(driver, index, task.task);
  const runtimeNode = node ?? bus.createNode(name);
  if (device.transport === 'serial' && driver.type === 'serial') {
    const serial = new SerialDriverNode(runtimeNode, { device, mapping, port: driver.port, topics });
    return {
      name,
      kind: 'serial',
      start: () => serial.start(),
      close: () => serial.close(),
      stats: () => serial.stats,
    };
  }
  if (device.transport === 'mqtt' && driver.type === 'mqtt') {
    const mqtt = new MqttDriverNode(runtimeNode, {
      device,
      mapping,
      deviceFile: driver.device,
      brokerUrl: driver.broker_url,
      topics,
    });
    return {
      name,
      kind: 'mqtt',
      start: () => mqtt.start(),
      close: () => mqtt.close(),
      stats: () => mqtt.stats,
    };
  }
  throw new RangeError(`drivers[${index}]: unsupported driver`);
}

/** The node name of `drivers[index]`, as `mbrl run` and the launch files name it. */
export function driverNodeName(driver: DriverConfig, index: number): string {
  return `driver_${index}_${driver.type}`;
}
