/**
 * The report of a `mbrl sim --controller lqr-flm` run: reads the run directory (metrics.jsonl,
 * run.json), renders its charts with vega-lite to SVG and writes them into `DIR/report.html`, one
 * page that needs no network and no scripts to view.
 */
import { lqrFlmCharts } from './lqr-flm-charts.js';
import { readLqrFlmData } from './lqr-flm-data.js';
import { lqrFlmHtml } from './lqr-flm-html.js';
import { writeReportFile, type ReportOptions, type RunReport } from './report-file.js';

/** Throws a ConfigError naming the file (and line) when the run directory's files are missing or bad. */
export async function writeLqrFlmReport(runDir: string, options: ReportOptions = {}): Promise<RunReport> {
  const data = readLqrFlmData(runDir);
  return writeReportFile(runDir, lqrFlmCharts(data.iterations), (charts) =>
    lqrFlmHtml(data, charts, options.now ?? new Date()),
  );
}
