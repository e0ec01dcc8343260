/** Renders a report's charts to SVG and writes the page they go into as `DIR/report.html`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportChart } from './chart-spec.js';
import { renderSvg } from './render-svg.js';
import type { RenderedChart } from './report-page.js';

export interface ReportOptions {
  /** The "report generated" time in the header; now by default. */
  now?: Date;
}

export interface RunReport {
  /** Path of the written report.html. */
  file: string;
  /** Number of charts rendered as SVG (charts replaced by a sentence are not counted). */
  charts: number;
}

export async function writeReportFile(
  runDir: string,
  charts: readonly ReportChart[],
  page: (charts: RenderedChart[]) => string,
): Promise<RunReport> {
  const rendered: RenderedChart[] = [];
  for (const chart of charts)
    rendered.push(
      'spec' in chart ? { id: chart.id, title: chart.title, svg: await renderSvg(chart.spec) } : chart,
    );
  const file = join(runDir, 'report.html');
  writeFileSync(file, page(rendered));
  return { file, charts: rendered.filter((c) => 'svg' in c).length };
}
