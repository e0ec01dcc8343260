/**
 * The report of a `mbrl sim` run: reads the run directory (metrics.jsonl, run.json, planning.jsonl),
 * renders its charts with vega-lite to SVG and writes them into `DIR/report.html`, one page that
 * needs no network and no scripts to view.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSvg } from './render-svg.js';
import { reportHtml, type RenderedChart } from './report-html.js';
import { runCharts } from './run-charts.js';
import { readRunData } from './run-data.js';

export interface RunReportOptions {
  /** The "report generated" time in the header; now by default. */
  now?: Date;
}

export interface RunReport {
  /** Path of the written report.html. */
  file: string;
  /** Number of charts rendered as SVG (charts replaced by a sentence are not counted). */
  charts: number;
}

/** Throws a ConfigError naming the file (and line) when the run directory's files are missing or bad. */
export async function writeRunReport(runDir: string, options: RunReportOptions = {}): Promise<RunReport> {
  const data = readRunData(runDir);
  const charts: RenderedChart[] = [];
  for (const chart of runCharts(data))
    charts.push(
      'spec' in chart ? { id: chart.id, title: chart.title, svg: await renderSvg(chart.spec) } : chart,
    );
  const file = join(runDir, 'report.html');
  writeFileSync(file, reportHtml(data, charts, options.now ?? new Date()));
  return { file, charts: charts.filter((c) => 'svg' in c).length };
}
