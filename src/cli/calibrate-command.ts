/**
 * `mbrl calibrate zero --config robot.yaml`: with the robot held still at a known pose (by
 * default the task's start pose, e.g. the cart-pole's pole hanging down), records raw
 * samples from each hardware driver and rewrites the joint zero offsets of its calibration
 * file (version bumped, date set, comments kept). The drivers' watchdogs keep sending the
 * safe command meanwhile, so nothing moves.
 */
import { copyFileSync, existsSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { loadRobotConfig } from '../config/robot-loader.js';
import { loadTask } from '../config/task-loader.js';
import type { Task } from '../config/task-schema.js';
import { CalibrationError } from '../hardware/calibration/calibration-error.js';
import { writeCalibrationFile, zeroCalibration } from '../hardware/calibration/zero-calibration.js';
import { MqttDriverNode } from '../nodes/drivers/mqtt-driver-node.js';
import { SerialDriverNode } from '../nodes/drivers/serial-driver-node.js';
import { isHardwareDriver, loadDriverFiles } from '../robot/driver-files.js';
import { InProcessBus } from '../runtime/in-process-bus.js';
import { setLogSink, stderrSink } from '../runtime/logger.js';
import { parseNonNegative, parsePositiveInteger } from './parse-number.js';

interface ZeroOptions {
  config: string;
  samples: number;
  pose?: Record<string, number>;
  timeout: number;
  out?: string;
  dryRun?: boolean;
}

export function registerCalibrateCommand(program: Command): void {
  const calibrate = program.command('calibrate').description('calibration of raw device fields to SI');
  calibrate
    .command('zero')
    .description('record samples at a held pose and write the joint zero offsets to the calibration file')
    .requiredOption('--config <file>', 'robot config whose serial/MQTT drivers to calibrate')
    .option('--samples <n>', 'samples to average (at least 10)', parsePositiveInteger, 100)
    .option('--pose <joint=value,...>', 'the held pose in SI (default: the task start pose)', parsePose)
    .option(
      '--timeout <s>',
      'give up when the samples have not arrived after this long',
      parseNonNegative,
      10,
    )
    .option('--out <file>', 'write here instead of overwriting the calibration file')
    .option('--dry-run', 'print the offsets without writing')
    .action(async (opts: ZeroOptions) => {
      setLogSink(stderrSink);
      const config = loadRobotConfig(opts.config);
      const { task } = loadTask(config.task);
      const pose = opts.pose ?? startPose(task);
      const hardware = config.drivers.filter(isHardwareDriver);
      if (hardware.length === 0)
        throw new RangeError(
          `${opts.config}: no serial or MQTT drivers to calibrate (the simulator needs none)`,
        );
      if (opts.out && hardware.length > 1)
        throw new CalibrationError(
          `--out writes one file but ${opts.config} has ${hardware.length} hardware drivers; leave --out out to rewrite each driver's calibration file`,
        );
      const poseText = Object.entries(pose)
        .map(([joint, value]) => `${joint}=${value}`)
        .join(', ');
      process.stderr.write(
        `zeroing at ${poseText}${opts.pose ? '' : ' (the task start pose; give --pose for another)'}: hold the robot there, still\n`,
      );
      for (const driver of hardware) {
        const { device, calibration, mapping } = loadDriverFiles(
          driver,
          config.drivers.indexOf(driver),
          task,
        );
        const samples: Float64Array[] = [];
        const bus = new InProcessBus();
        const node = bus.createNode('calibrate_zero');
        const onRawSensors = (raw: ArrayLike<number>) => {
          if (samples.length < opts.samples) samples.push(Float64Array.from(raw));
        };
        const topics = { jointStates: 'calibration/joint_states', command: 'calibration/command' };
        const running =
          device.transport === 'serial' && driver.type === 'serial'
            ? new SerialDriverNode(node, { device, mapping, port: driver.port, topics, onRawSensors })
            : device.transport === 'mqtt' && driver.type === 'mqtt'
              ? new MqttDriverNode(node, {
                  device,
                  mapping,
                  deviceFile: driver.device,
                  brokerUrl: driver.broker_url,
                  topics,
                  onRawSensors,
                })
              : null;
        if (!running)
          throw new RangeError(
            `${driver.device}: transport ${device.transport} does not match driver ${driver.type}`,
          );
        running.start();
        const deadline = Date.now() + opts.timeout * 1000;
        while (samples.length < opts.samples && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 20));
        await running.close();
        await bus.shutdown();
        if (samples.length < opts.samples)
          throw new CalibrationError(
            `${device.device}: got ${samples.length} of ${opts.samples} samples in ${opts.timeout} s (is the board connected and sending?)`,
          );
        const unknown = Object.keys(pose).filter((j) => !mapping.jointNames.includes(j));
        if (opts.pose && unknown.length > 0)
          throw new CalibrationError(
            `${device.device}: --pose names joints the device does not have: ${unknown.join(', ')} (it has ${mapping.jointNames.join(', ')})`,
          );
        const joints = mapping.jointNames.filter((j) => j in pose);
        const { config: next, offsets } = zeroCalibration({
          calibration,
          mapping,
          rawSamples: samples,
          pose,
          joints,
        });
        for (const [joint, o] of Object.entries(offsets))
          process.stdout.write(
            `${device.device} ${joint}: zero_offset ${o.before} -> ${o.after} (pose ${pose[joint]}, std ${o.std.toExponential(2)})\n`,
          );
        if (opts.dryRun) continue;
        const out = opts.out ?? calibration.file;
        // A new file starts as a copy of the old one, so its comments and layout survive the edit.
        if (out !== calibration.file && !existsSync(out)) copyFileSync(calibration.file, out);
        writeCalibrationFile(out, next);
        process.stdout.write(`wrote ${out} (version ${next.version}, ${next.date})\n`);
      }
    });
}

/** Each joint's position in the task's mean initial state (the pose a robot rests in before a run). */
function startPose(task: Task): Record<string, number> {
  const pose: Record<string, number> = {};
  for (const s of task.state)
    if (s.quantity === 'position') pose[s.joint] = task.initial_state.mean[s.name] ?? 0;
  return pose;
}

function parsePose(value: string): Record<string, number> {
  const pose: Record<string, number> = {};
  for (const part of value.split(',')) {
    const [joint, v, extra] = part.split('=');
    const n = Number(v);
    if (!joint || v === undefined || extra !== undefined || v.trim() === '' || !Number.isFinite(n))
      throw new InvalidArgumentError(`expected joint=value[,joint=value...], got "${part}"`);
    pose[joint.trim()] = n;
  }
  return pose;
}
