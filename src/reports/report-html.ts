/**
 * The run report as one self-contained HTML page: a header summarising the run, the charts as
 * inline SVG (or the sentence that replaces a chart with nothing to show) and a table of episodes.
 * No scripts, no external resources.
 */
import { episodeSources } from './episode-source.js';
import type { EpisodeRecord, RunData } from './run-data.js';

export type RenderedChart =
  { id: string; title: string; svg: string } | { id: string; title: string; note: string };

/** How many of the last episodes the header's recent mean covers. */
const RECENT = 5;

export function reportHtml(data: RunData, charts: readonly RenderedChart[], generatedAt: Date): string {
  const task = data.info.task ?? distinct(data.episodes.map((e) => e.task));
  const controller = data.info.controller ?? distinct(data.episodes.map((e) => e.controller));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(`Run report: ${task} / ${controller}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(`Run report: ${task}`)}</h1>
${summary(data, task, controller, generatedAt)}
${charts.map(chartSection).join('\n')}
<section id="episodes">
<h2>Episodes</h2>
${episodeTable(data.episodes)}
</section>
</body>
</html>
`;
}

function summary(data: RunData, task: string, controller: string, generatedAt: Date): string {
  const returns = data.episodes.map((e) => e.return);
  const best = data.episodes.reduce((a, b) => (b.return > a.return ? b : a));
  const recent = returns.slice(-RECENT);
  const episodes =
    data.info.episodes !== undefined && data.info.episodes !== returns.length
      ? `${returns.length} of ${data.info.episodes}`
      : String(returns.length);
  const rows: [string, string][] = [
    ['Task', task],
    ['Controller', controller],
    ['Seed', data.info.seed === undefined ? '—' : String(data.info.seed)],
    ['Episodes', episodes],
    ['Best return', `${formatNumber(best.return)} (episode ${best.episode})`],
    [`Mean return, last ${recent.length}`, formatNumber(recent.reduce((a, b) => a + b, 0) / recent.length)],
    ['Run started', data.info.started ? formatDate(data.info.started) : '—'],
    ['Report generated', formatDate(generatedAt.toISOString())],
    ['Run directory', data.dir],
  ];
  const items = rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`);
  return `<dl class="summary">${items.join('')}</dl>`;
}

function chartSection(chart: RenderedChart): string {
  const body =
    'svg' in chart
      ? chart.svg
      : `<h2>${escapeHtml(chart.title)}</h2>\n<p class="note">${escapeHtml(chart.note)}</p>`;
  return `<section class="chart" id="chart-${chart.id}">\n${body}\n</section>`;
}

function episodeTable(episodes: readonly EpisodeRecord[]): string {
  const sources = episodeSources(episodes);
  const head = [
    'Episode',
    'Actions from',
    'Return',
    'Steps',
    'Model version',
    'Planning p50 (ms)',
    'Planning p95 (ms)',
    'Deadline misses',
    'Prediction error',
  ];
  const rows = episodes.map((e, i) =>
    [
      String(e.episode),
      sources[i],
      formatNumber(e.return),
      String(e.steps),
      e.model_version === 0 ? 'none' : String(e.model_version),
      formatNumber(e.planning_ms_p50),
      formatNumber(e.planning_ms_p95),
      String(e.deadline_misses),
      formatNumber(e.prediction_error),
    ].map((cell) => `<td>${escapeHtml(cell)}</td>`),
  );
  return [
    '<table>',
    `<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((cells) => `<tr>${cells.join('')}</tr>`),
    '</tbody>',
    '</table>',
  ].join('\n');
}

function distinct(values: readonly string[]): string {
  return [...new Set(values)].join(', ');
}

/** Three significant figures for small values, two decimals otherwise; a dash for none. */
function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (value === 0 || Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** `2026-11-22 01:55 UTC` from an ISO timestamp; other strings are shown as written. */
function formatDate(iso: string): string {
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
th:nth-child(2), td:nth-child(2) { text-align: left; }
`;
