#!/usr/bin/env node
/**
 * The `mbrl` command. Each subcommand composes nodes and experiments from the library;
 * errors from bad input are printed as one clear message (no stack trace) with exit code 2.
 */
import { Command } from 'commander';
import { registerCalibrateCommand } from './calibrate-command.js';
import { registerConfigCommand } from './config-command.js';
import { registerDeviceCommand } from './device-command.js';
import { registerLogCommand } from './log-command.js';
import { registerModelCommand } from './model-command.js';
import { registerReportCommand } from './report-command.js';
import { registerRosCommand } from './ros-command.js';
import { registerRunCommand } from './run-command.js';
import { registerSimCommand } from './sim-command.js';
import { registerTasksCommand } from './tasks-command.js';
import { registerTeleopCommand } from './teleop-command.js';
import { reportCliError } from './cli-error.js';
import { splitRosArgs } from '../runtime/ros-args.js';

// After a hang-up (dropped ssh session) writes to the terminal fail asynchronously with EIO or
// EPIPE; without a listener that is an uncaught exception in the middle of a clean shutdown.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

const program = new Command()
  .name('mbrl')
  .description('Model-based RL control for robots: PETS MPC and LQR-FLM over ROS 2, serial, MQTT or MuJoCo.')
  .showHelpAfterError();

registerTasksCommand(program);
registerSimCommand(program);
registerRunCommand(program);
registerTeleopCommand(program);
registerDeviceCommand(program);
registerCalibrateCommand(program);
registerConfigCommand(program);
registerModelCommand(program);
registerLogCommand(program);
registerReportCommand(program);
// ROS arguments (--ros-args ... [--]) are rcl's, not commander's: split off before parsing.
const args = splitRosArgs(process.argv.slice(2));
if (args.ros.length > 0 && args.app[0] !== 'ros') {
  process.stderr.write(
    `mbrl: --ros-args is for \`mbrl ros <kind>\` only (got \`mbrl ${args.app[0] ?? ''}\`)\n`,
  );
  process.exit(2);
}
registerRosCommand(program, args.ros);

program.parseAsync([...process.argv.slice(0, 2), ...args.app]).catch((error: unknown) => {
  process.exitCode = reportCliError(error);
});
