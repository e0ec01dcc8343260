/** Test helpers for the report tests: reading a written report, finding a chart's section in report.html and the marks vega drew. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunReport } from './report-file.js';

export function count(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
}

/** The body of the report section of one chart (its SVG, or the sentence replacing it). */
export function section(html: string, id: string): string {
  const match = new RegExp(`<section class="chart" id="chart-${id}">([\\s\\S]*?)</section>`).exec(html);
  assert.ok(match, `no section chart-${id}`);
  return match[1];
}

/** The SVG group vega draws for the marks of the layer named `name` (class `<name>_marks`). */
export function markGroup(svg: string, role: string, name: string): string {
  const group = new RegExp(`<g class="mark-${role} role-mark ${name}_marks"[^>]*>([\\s\\S]*?)</g>`).exec(svg);
  assert.ok(group, `no ${role} group ${name}_marks`);
  return group[1];
}

/** The points of a named point layer: one <path> per datum. */
export function markPoints(svg: string, name: string): number {
  return count(markGroup(svg, 'symbol', name), /<path [^>]*aria-roledescription="point"/);
}

/**
 * The HTML of a written report, after checking what every report must be: written to
 * DIR/report.html, with `charts` charts as inline SVG, and self-contained (no scripts, no links out).
 */
export function writtenReport(report: RunReport, dir: string, charts: number, which: string): string {
  assert.equal(report.file, join(dir, 'report.html'));
  assert.equal(report.charts, charts);
  const html = readFileSync(report.file, 'utf8');
  assert.equal(count(html, /<svg/), charts, which);
  assert.doesNotMatch(
    html,
    /<script|https?:\/\/(?!www\.w3\.org)/,
    'self-contained: no scripts, no links out',
  );
  return html;
}
