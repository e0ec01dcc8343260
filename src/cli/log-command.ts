/** `mbrl log info FILE|DIR`: what a transition log (MCAP) holds, and whether each file was finished. */
import { basename } from 'node:path';
import type { Command } from 'commander';
import { readTransitionLog } from '../datalog/transition-log-reader.js';
import { summarizeTransitionLog, type TransitionLogSummary } from '../datalog/transition-log-summary.js';

export function registerLogCommand(program: Command): void {
  const log = program.command('log').description('transition logs (MCAP) written by the data logger');
  log
    .command('info <path>')
    .description('summarize a log file or directory: files, transitions, time range, episodes, sources')
    .option('--json', 'print JSON instead of text')
    .action(async (path: string, opts: { json?: boolean }) => {
      const summary = summarizeTransitionLog(await readTransitionLog(path));
      process.stdout.write(opts.json ? JSON.stringify(summary, null, 2) + '\n' : formatSummary(summary));
    });
}

function formatSummary(s: TransitionLogSummary): string {
  const sources = Object.entries(s.sources)
    .filter(([, n]) => n > 0)
    .map(([source, n]) => `${source} ${n}`);
  const lines = [
    `log:            ${s.path} (${s.files.length} file${s.files.length === 1 ? '' : 's'})`,
    `task:           ${s.task.name}: state [${s.task.stateNames.join(', ')}], action [${s.task.actionNames.join(', ')}]`,
    `transitions:    ${s.transitions}`,
    `time range:     ${s.timeRange ? `${s.timeRange.min.toFixed(3)} .. ${s.timeRange.max.toFixed(3)} s` : '-'}`,
    `episodes:       ${s.episodes.length}${s.episodes.length > 0 ? ` (${ranges(s.episodes)})` : ''}`,
    `sources:        ${sources.length > 0 ? sources.join(', ') : '-'}`,
    `model versions: ${s.modelVersions.length > 0 ? s.modelVersions.join(', ') : '-'}`,
    'files:',
  ];
  for (const f of s.files) {
    const state = f.finished ? 'finished ' : 'truncated';
    let line = `  ${state} ${basename(f.file)}: ${f.transitions} transitions, ${f.size} bytes`;
    if (f.stoppedAt !== undefined) line += `, data stops at byte ${f.stoppedAt}`;
    if (f.stopReason !== undefined) line += ` (${f.stopReason})`;
    lines.push(line);
  }
  return lines.join('\n') + '\n';
}

/** `0-4, 7, 9-10` */
function ranges(sorted: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}
