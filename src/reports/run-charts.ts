/**
 * The charts of a run report as vega-lite specs: return per episode, planning latency against the
 * control period (plus a histogram of per-plan compute time when planning.jsonl exists) and model
 * prediction error. A chart with nothing to show becomes a sentence saying so.
 */
import {
  countAxis,
  labelledRule,
  layeredChart as chart,
  logLineChart,
  LINE_COLOR,
  type CountAxis as EpisodeX,
  type Layer,
  type ReportChart,
} from './chart-spec.js';
import { episodeSources } from './episode-source.js';
import type { EpisodeRecord, PlanSample, RunData } from './run-data.js';

/** vega-lite names the point marks of the return chart `<name>_marks` (the SVG class). */
export const RETURN_POINTS = 'episode_points';

export function runCharts(data: RunData): ReportChart[] {
  const period = controlPeriodMs(data);
  const x = countAxis(
    'episode',
    'Episode (#)',
    data.episodes.map((e) => e.episode),
  );
  const charts = [returnChart(data.episodes, x), latencyChart(data.episodes, x, period)];
  if (data.plans) charts.push(computeHistogram(data.plans, period));
  charts.push(predictionErrorChart(data.episodes, x));
  return charts;
}

/** From run.json, else the first episode that records it; undefined when neither does. */
function controlPeriodMs(data: RunData): number | undefined {
  return data.info.control_period_ms ?? data.episodes.find((e) => e.control_period_ms)?.control_period_ms;
}

function returnChart(episodes: readonly EpisodeRecord[], x: EpisodeX): ReportChart {
  const sources = episodeSources(episodes);
  const values = episodes.map((e, i) => ({ episode: e.episode, return: e.return, source: sources[i] }));
  const y = { field: 'return', type: 'quantitative', title: 'Return (sum of step rewards)' } as const;
  return chart('return', 'Return per episode', values, [
    { mark: { type: 'line', color: LINE_COLOR }, encoding: { x, y } },
    {
      name: RETURN_POINTS,
      mark: { type: 'point', filled: true, size: 50, opacity: 0.9 },
      encoding: {
        x,
        y,
        color: { field: 'source', type: 'nominal', title: 'Actions from', legend: { labelLimit: 240 } },
      },
    },
  ]);
}

function latencyChart(
  episodes: readonly EpisodeRecord[],
  x: EpisodeX,
  period: number | undefined,
): ReportChart {
  const title = 'Planning latency per episode (p50, p95)';
  const values = episodes.flatMap((e) => [
    ...(e.planning_ms_p50 === null ? [] : [{ episode: e.episode, percentile: 'p50', ms: e.planning_ms_p50 }]),
    ...(e.planning_ms_p95 === null ? [] : [{ episode: e.episode, percentile: 'p95', ms: e.planning_ms_p95 }]),
  ]);
  if (values.length === 0)
    return { id: 'latency', title, note: 'No episode planned, so there is no planning latency to show.' };
  const y = { field: 'ms', type: 'quantitative', title: 'Planning time per control step (ms)' } as const;
  const color = { field: 'percentile', type: 'nominal', title: 'Percentile' } as const;
  return chart('latency', title, values, [
    { mark: 'line', encoding: { x, y, color } },
    { mark: { type: 'point', filled: true }, encoding: { x, y, color } },
    ...periodRule('y', period),
  ]);
}

function computeHistogram(plans: readonly PlanSample[], period: number | undefined): ReportChart {
  const title = `Compute time per plan (${plans.length} plans)`;
  if (plans.length === 0)
    return {
      id: 'compute',
      title,
      note: 'planning.jsonl holds no plans, so there is no compute-time histogram.',
    };
  const values = plans.map((p) => ({ compute_ms: p.compute_ms }));
  return chart('compute', title, values, [
    {
      mark: 'bar',
      encoding: {
        x: { field: 'compute_ms', type: 'quantitative', bin: { maxbins: 40 }, title: 'Compute time (ms)' },
        y: { aggregate: 'count', type: 'quantitative', title: 'Plans (count)' },
      },
    },
    ...periodRule('x', period),
  ]);
}

function predictionErrorChart(episodes: readonly EpisodeRecord[], x: EpisodeX): ReportChart {
  const title = 'Model prediction error per episode';
  const id = 'prediction-error';
  const recorded = episodes.filter((e) => typeof e.prediction_error === 'number');
  if (recorded.length === 0)
    return { id, title, note: 'There is no model prediction error in this run: no episode records one.' };
  return logLineChart(
    id,
    title,
    x,
    { field: 'error', title: 'One-step MSE (normalised, log scale)' },
    recorded.map((e) => ({ episode: e.episode, error: e.prediction_error ?? 0 })),
    'Every recorded prediction error is 0; nothing to plot.',
  );
}

/** A dashed line with a label at the control period, across the axis the milliseconds run along. */
function periodRule(axis: 'x' | 'y', period: number | undefined): Layer[] {
  if (period === undefined) return [];
  return labelledRule(axis, period, `control period ${Number(period.toPrecision(6))} ms`, 'period_rule');
}
