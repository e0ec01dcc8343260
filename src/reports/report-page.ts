/**
 * The page shell shared by the run reports: one self-contained HTML page with a title, a summary
 * list, the charts as inline SVG (or the sentence that replaces a chart with nothing to show) and
 * one table. No scripts, no external resources.
 */

export type RenderedChart =
  { id: string; title: string; svg: string } | { id: string; title: string; note: string };

export interface ReportTable {
  /** The section's id and heading. */
  id: string;
  title: string;
  head: readonly string[];
  rows: readonly (readonly string[])[];
  /** 0-based columns holding text, aligned left; the others are numbers, aligned right. */
  textColumns?: readonly number[];
}

export interface ReportPage {
  /** The document title (browser tab). */
  title: string;
  /** The page's heading. */
  heading: string;
  /** Label and value pairs, shown as a definition list under the title. */
  summary: readonly (readonly [string, string])[];
  charts: readonly RenderedChart[];
  table: ReportTable;
}

export function reportPage(page: ReportPage): string {
  const summary = page.summary.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(page.heading)}</h1>
<dl class="summary">${summary.join('')}</dl>
${page.charts.map(chartSection).join('\n')}
<section id="${escapeHtml(page.table.id)}">
<h2>${escapeHtml(page.table.title)}</h2>
${table(page.table)}
</section>
</body>
</html>
`;
}

function chartSection(chart: RenderedChart): string {
  const body =
    'svg' in chart
      ? chart.svg
      : `<h2>${escapeHtml(chart.title)}</h2>\n<p class="note">${escapeHtml(chart.note)}</p>`;
  return `<section class="chart" id="chart-${chart.id}">\n${body}\n</section>`;
}

function table({ head, rows, textColumns = [] }: ReportTable): string {
  const cell = (tag: 'th' | 'td', text: string, column: number) =>
    `<${tag}${textColumns.includes(column) ? ' class="text"' : ''}>${escapeHtml(text)}</${tag}>`;
  const row = (tag: 'th' | 'td', cells: readonly string[]) =>
    `<tr>${cells.map((text, column) => cell(tag, text, column)).join('')}</tr>`;
  return [
    '<table>',
    `<thead>${row('th', head)}</thead>`,
    '<tbody>',
    ...rows.map((cells) => row('td', cells)),
    '</tbody>',
    '</table>',
  ].join('\n');
}

/** Three significant figures for small values, two decimals otherwise; a dash for none. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (value === 0 || Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** `2026-11-22 01:55 UTC` from an ISO timestamp; other strings are shown as written. */
export function formatDate(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return match && iso.endsWith('Z') ? `${match[1]} ${match[2]} UTC` : iso;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
h1 { font-size: 1.5rem; }
h2 { font-size: 1.1rem; margin-top: 2rem; }
.summary { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
.summary dt { font-weight: 600; }
.summary dd { margin: 0; }
.chart { margin-top: 1.5rem; }
.chart svg { max-width: 100%; height: auto; }
.note { color: #555; font-style: italic; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 0.2rem 0.6rem; border-bottom: 1px solid #ddd; text-align: right; }
th.text, td.text { text-align: left; }
`;
