/** `mbrl report DIR`: (re)write the HTML report of a run directory and print its path. */
import type { Command } from 'commander';
import { writeRunReport } from '../reports/run-report.js';

export function registerReportCommand(program: Command): void {
  program
    .command('report <dir>')
    .description(
      'write DIR/report.html (charts of returns, planning latency, model error) from a run directory',
    )
    .action(async (dir: string) => {
      const { file } = await writeRunReport(dir);
      process.stdout.write(`${file}\n`);
    });
}
