/**
 * The report of a `mbrl sim` run: reads the run directory (metrics.jsonl, run.json, planning.jsonl),
 * renders its charts with vega-lite to SVG and writes them into `DIR/report.html`, one page that
 * needs no network and no scripts to view.
 */
import { writeReportFile, type ReportOptions, type RunReport } from './report-file.js';
import { reportHtml } from './report-html.js';
import { runCharts } from './run-charts.js';
import { readRunData } from './run-data.js';

export type { ReportOptions as RunReportOptions, RunReport } from './report-file.js';

/** Throws a ConfigError naming the file (and line) when the run directory's files are missing or bad. */
export async function writeRunReport(runDir: string, options: ReportOptions = {}): Promise<RunReport> {
  const data = readRunData(runDir);
  return writeReportFile(runDir, runCharts(data), (charts) =>
    reportHtml(data, charts, options.now ?? new Date()),
  );
}
