/**
 * The report of an LQR-FLM run as one self-contained HTML page: a header summarising the run, the
 * charts and a table of iterations.
 */
import type { LqrFlmData, LqrFlmIteration } from './lqr-flm-data.js';
import { formatDate, formatNumber, reportPage, type RenderedChart } from './report-page.js';

export function lqrFlmHtml(data: LqrFlmData, charts: readonly RenderedChart[], generatedAt: Date): string {
  const task = data.info.task ?? [...new Set(data.iterations.map((m) => m.task))].join(', ');
  return reportPage({
    title: `Run report: ${task} / lqr-flm`,
    heading: `Run report: ${task}`,
    summary: summary(data, task, generatedAt),
    charts,
    table: {
      id: 'iterations',
      title: 'Iterations',
      head: [
        'Iteration',
        'Cost',
        'Final distance (cm)',
        'KL (nats)',
        'KL target (nats)',
        'Eta',
        'Step multiplier',
      ],
      rows: data.iterations.map((m) => [
        String(m.iteration),
        formatNumber(m.cost),
        formatNumber(centimetres(m)),
        formatNumber(m.kl),
        formatNumber(m.kl_target),
        formatNumber(m.eta),
        formatNumber(m.step_mult),
      ]),
    },
  });
}

function summary(data: LqrFlmData, task: string, generatedAt: Date): [string, string][] {
  const { info, iterations } = data;
  const last = iterations[iterations.length - 1];
  const done =
    info.iterations !== undefined && info.iterations !== iterations.length
      ? `${iterations.length} of ${info.iterations}`
      : String(iterations.length);
  const conditions =
    info.conditions?.length ?? last.cost_per_condition?.length ?? last.final_distance_per_condition?.length;
  const perCondition = info.samples ?? (conditions ? last.samples / conditions : undefined);
  const samples =
    perCondition === undefined
      ? `${last.samples} per iteration`
      : `${perCondition} per condition and iteration (${last.samples} per iteration)`;
  const distance = centimetres(last);
  return [
    ['Task', task],
    ['Controller', info.controller ?? 'lqr-flm'],
    ['Seed', String(info.seed ?? last.seed)],
    ['Iterations', done],
    ['Samples', samples],
    ['Conditions', conditions === undefined ? '—' : String(conditions)],
    ['Final cost', `${formatNumber(last.cost)} (iteration ${last.iteration})`],
    ['Final distance', distance === null ? '—' : `${distance.toFixed(2)} cm`],
    ['Run started', info.started ? formatDate(info.started) : '—'],
    ['Report generated', formatDate(generatedAt.toISOString())],
    ['Run directory', data.dir],
  ];
}

function centimetres(m: LqrFlmIteration): number | null {
  return m.final_distance === null ? null : m.final_distance * 100;
}
