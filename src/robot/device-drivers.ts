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
import type { InProcessBus } from '../runtime/in-process-bus.js';
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
  bus: InProcessBus;
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
  const { bus, task, topics } = options;
  const name = `driver_${index}_${driver.type}`;
  if (driver.type === 'sim') {
    if (driver.mode !== 'realtime')
      throw new RangeError(
        `drivers[${index}]: a lockstep simulator is stepped by \`mbrl sim\`; a robot run needs mode: realtime`,
      );
    return async () => {
      const env = await TaskEnvironment.create(task);
      const sim = new MujocoSimNode(bus.createNode(name), {
        env,
        mode: 'realtime',
        seed: options.seed,
        sensorRateHz: driver.sensor_rate_hz,
        noise: { position: driver.noise_std, velocity: driver.noise_std },
        latencySeconds: driver.latency_s,
        topics,
        commandTimeoutSeconds: Math.max(0.1, 2 / options.config.control.rate_hz),
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
    };
  }
  const { device, mapping } = loadDriverFiles(driver, index, task.task);
  if (device.transport === 'serial' && driver.type === 'serial') {
    return async () => {
      const node = new SerialDriverNode(bus.createNode(name), { device, mapping, port: driver.port, topics });
      return {
        name,
        kind: 'serial',
        start: () => node.start(),
        close: () => node.close(),
        stats: () => node.stats,
      };
    };
  }
  if (device.transport === 'mqtt' && driver.type === 'mqtt') {
    return async () => {
      const node = new MqttDriverNode(bus.createNode(name), {
        device,
        mapping,
        deviceFile: driver.device,
        brokerUrl: driver.broker_url,
        topics,
      });
      return {
        name,
        kind: 'mqtt',
        start: () => node.start(),
        close: () => node.close(),
        stats: () => node.stats,
      };
    };
  }
  throw new RangeError(`drivers[${index}]: unsupported driver`);
}
