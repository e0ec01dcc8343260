/** `mbrl report DIR`: (re)write the HTML report of a run directory and print its path. */
import type { Command } from 'commander';
import { writeReport } from '../reports/write-report.js';

export function registerReportCommand(program: Command): void {
  program
    .command('report <dir>')
    .description(
      'write DIR/report.html from a run directory: returns, planning latency and model error for ' +
        'episode runs; cost, final distance and KL per iteration for lqr-flm runs',
    )
    .action(async (dir: string) => {
      const { file } = await writeReport(dir);
      process.stdout.write(`${file}\n`);
    });
}
