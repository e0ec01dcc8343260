/**
 * `mbrl config validate FILE`: check a robot config and everything it refers to (task, device
 * and calibration files of each driver, the PETS planner profile) without starting anything;
 * print the config with defaults filled in.
 */
import type { Command } from 'commander';
import { loadRobotRunConfig } from '../robot/load-robot-run-config.js';
import { loadTask } from '../config/task-loader.js';
import { redactUrl } from '../nodes/drivers/mqtt-credentials.js';
import { isHardwareDriver, loadDriverFiles } from '../robot/driver-files.js';

export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('robot configuration files');
  config
    .command('validate <file>')
    .description(
      'validate a robot config, its task, device and calibration files and planner profile; print it with defaults as JSON',
    )
    .action((file: string) => {
      const robot = loadRobotRunConfig(file);
      const { task } = loadTask(robot.task);
      robot.drivers.forEach((driver, index) => {
        if (isHardwareDriver(driver)) loadDriverFiles(driver, index, task);
      });
      // Broker URLs may carry user:password; never print them.
      const printable = {
        ...robot,
        drivers: robot.drivers.map((d) =>
          d.type === 'mqtt' && d.broker_url ? { ...d, broker_url: redactUrl(d.broker_url) } : d,
        ),
      };
      process.stdout.write(JSON.stringify(printable, null, 2) + '\n');
    });
}
