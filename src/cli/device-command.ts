/**
 * `mbrl device serial|mqtt`: a virtual robot board backed by the MuJoCo simulator, speaking
 * the wire protocol of a device file in raw units (so the driver's calibration is exercised).
 * Point a robot config's driver at it for hardware-in-the-loop runs on any machine: a socat
 * pty pair stands in for the USB cable, any MQTT broker for the network.
 */
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { loadDeviceConfig } from '../config/device-loader.js';
import { calibrationDir, hardwareDir } from '../config/package-paths.js';
import { loadTask } from '../config/task-loader.js';
import type { DeviceConfig } from '../config/device-schema.js';
import { Calibration } from '../hardware/calibration/calibration.js';
import { DeviceMapping } from '../hardware/device-mapping.js';
import { checkWireProtocol } from '../robot/driver-files.js';
import { VirtualMqttDevice } from '../virtual-devices/virtual-mqtt-device.js';
import { VirtualSerialDevice } from '../virtual-devices/virtual-serial-device.js';
import { parseInteger, parseNonNegative } from './parse-number.js';
import { untilStopped } from './until-stopped.js';
import { join } from 'node:path';
import { existsSync } from 'node:fs';

interface DeviceOptions {
  task: string;
  device?: string;
  calibration?: string;
  seed: number;
  startState: 'random' | 'mean';
  seconds?: number;
}

export function registerDeviceCommand(program: Command): void {
  const device = program
    .command('device')
    .description('virtual robot boards backed by the MuJoCo simulator, for hardware-in-the-loop runs');
  const common = (cmd: Command, transport: 'serial' | 'mqtt') =>
    cmd
      .option('--task <name|file>', 'task the simulator runs', 'cartpole-swingup')
      .option('--device <name|file>', `device file (default: hardware/devices/cartpole-${transport}.yaml)`)
      .option(
        '--calibration <file>',
        'calibration giving the raw units (default: calibration/<device name before its last "-">.yaml)',
      )
      .option('--seed <s>', 'random seed of the initial state', parseInteger, 1)
      .addOption(
        new Option('--start-state <kind>', 'initial state: random draw or the task mean (at rest)')
          .choices(['random', 'mean'])
          .default('random'),
      )
      .option('--seconds <s>', 'stop after this long (default: until Ctrl-C)', parseNonNegative);
  common(device.command('serial'), 'serial')
    .description('a serial board on PORT (e.g. one end of `socat -d -d pty,raw,echo=0 pty,raw,echo=0`)')
    .requiredOption('--port <path>', 'serial port the board opens')
    .action(async (opts: DeviceOptions & { port: string }) => {
      const { config, mapping, task, file } = load(opts, 'serial');
      if (config.transport !== 'serial') throw new RangeError(`${file}: not a serial device`);
      const board = await VirtualSerialDevice.create({
        device: config,
        mapping,
        task,
        port: opts.port,
        seed: opts.seed,
        startState: opts.startState,
        log: (line) => process.stderr.write(`device: ${line}\n`),
      });
      board.start();
      process.stderr.write(
        `mbrl device serial: ${config.device} on ${opts.port} (${task.task.name}, ${config.rates.sensor_hz} Hz sensor frames)\n`,
      );
      const status = setInterval(() => {
        const s = board.stats;
        process.stderr.write(
          `frames sent ${s.framesSent}, commands ${s.commandFrames} (bad ${s.badCommandFrames}), state [${fmt(board.board.state())}]\n`,
        );
      }, 5000);
      await untilStopped(opts.seconds);
      clearInterval(status);
      await board.close();
    });
  common(device.command('mqtt'), 'mqtt')
    .description('an MQTT board publishing to a broker')
    .option('--broker <url>', 'broker URL (default: the device file’s)')
    .action(async (opts: DeviceOptions & { broker?: string }) => {
      const { config, mapping, task, file } = load(opts, 'mqtt');
      if (config.transport !== 'mqtt') throw new RangeError(`${file}: not an MQTT device`);
      const board = await VirtualMqttDevice.create({
        device: config,
        mapping,
        task,
        brokerUrl: opts.broker,
        seed: opts.seed,
        startState: opts.startState,
        deviceFile: file,
      });
      board.start();
      process.stderr.write(`mbrl device mqtt: ${config.device} on ${board.url}\n`);
      await untilStopped(opts.seconds);
      await board.close();
    });
}

function load(opts: DeviceOptions, transport: 'serial' | 'mqtt') {
  const file = resolveDeviceFile(opts.device ?? `cartpole-${transport}`);
  const config: DeviceConfig = loadDeviceConfig(file);
  checkWireProtocol(config, file);
  const calibrationFile =
    opts.calibration ?? join(calibrationDir(), `${config.device.replace(/-[^-]*$/, '')}.yaml`);
  const task = loadTask(opts.task);
  const mapping = DeviceMapping.create({
    device: config,
    calibration: Calibration.load(calibrationFile),
    deviceFile: file,
    task: task.task,
  });
  return { config, mapping, task, file };
}

/** A file path, or a name of a shipped device (hardware/devices/<name>.yaml). */
export function resolveDeviceFile(ref: string): string {
  if (ref.includes('/') || ref.endsWith('.yaml') || existsSync(ref)) return ref;
  return join(hardwareDir(), 'devices', `${basename(ref)}.yaml`);
}

function fmt(values: ArrayLike<number>): string {
  return Array.from(values, (v) => v.toFixed(3)).join(', ');
}
