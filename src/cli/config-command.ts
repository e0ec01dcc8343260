/** `mbrl config validate FILE`: check a robot config and print it with defaults filled in. */
import type { Command } from 'commander';
import { loadRobotConfig } from '../config/robot-loader.js';

export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('robot configuration files');
  config
    .command('validate <file>')
    .description('validate a robot config (and the task it names); print it with defaults as JSON')
    .action((file: string) => {
      const robot = loadRobotConfig(file);
      process.stdout.write(JSON.stringify(robot, null, 2) + '\n');
    });
}
