/**
 * The report of a `mbrl sim` run as one self-contained HTML page: a header summarising the run, the
 * charts as inline SVG (or the sentence that replaces a chart with nothing to show) and a table of
 * episodes.
 */
import { episodeSources } from './episode-source.js';
import { formatDate, formatNumber, reportPage, type RenderedChart } from './report-page.js';
import type { EpisodeRecord, RunData } from './run-data.js';

/** How many of the last episodes the header's recent mean covers. */
const RECENT = 5;

export function reportHtml(data: RunData, charts: readonly RenderedChart[], generatedAt: Date): string {
  const task = data.info.task ?? distinct(data.episodes.map((e) => e.task));
  const controller = data.info.controller ?? distinct(data.episodes.map((e) => e.controller));
  return reportPage({
    title: `Run report: ${task} / ${controller}`,
    heading: `Run report: ${task}`,
    summary: summary(data, task, controller, generatedAt),
    charts,
    table: { id: 'episodes', title: 'Episodes', ...episodeTable(data.episodes) },
  });
}

function summary(data: RunData, task: string, controller: string, generatedAt: Date): [string, string][] {
  const returns = data.episodes.map((e) => e.return);
  const best = data.episodes.reduce((a, b) => (b.return > a.return ? b : a));
  const recent = returns.slice(-RECENT);
  const episodes =
    data.info.episodes !== undefined && data.info.episodes !== returns.length
      ? `${returns.length} of ${data.info.episodes}`
      : String(returns.length);
  return [
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
}

function episodeTable(episodes: readonly EpisodeRecord[]) {
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
  const rows = episodes.map((e, i) => [
    String(e.episode),
    sources[i],
    formatNumber(e.return),
    String(e.steps),
    e.model_version === 0 ? 'none' : String(e.model_version),
    formatNumber(e.planning_ms_p50),
    formatNumber(e.planning_ms_p95),
    String(e.deadline_misses),
    formatNumber(e.prediction_error),
  ]);
  return { head, rows, textColumns: [1] };
}

function distinct(values: readonly string[]): string {
  return [...new Set(values)].join(', ');
}
