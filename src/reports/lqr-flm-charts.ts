/**
 * The charts of an LQR-FLM run report as vega-lite specs: mean cost per iteration, mean final
 * distance to the target (cm, log scale) against the 2 cm target, and the KL divergence of each
 * controller update against its target. A chart with nothing to show becomes a sentence saying so.
 */
import {
  countAxis,
  labelledRule,
  layeredChart,
  logLineChart,
  LINE_COLOR,
  type CountAxis,
  type ReportChart,
} from './chart-spec.js';
import type { LqrFlmIteration } from './lqr-flm-data.js';

/** vega-lite names the mark groups of named layers `<name>_marks` (their SVG class). */
export const COST_POINTS = 'iteration_points';
export const TARGET_RULE = 'target_rule';

/** The fingertip counts as at the target within this distance. */
export const TARGET_DISTANCE_CM = 2;

export function lqrFlmCharts(iterations: readonly LqrFlmIteration[]): ReportChart[] {
  const x = countAxis(
    'iteration',
    'Iteration (#)',
    iterations.map((m) => m.iteration),
  );
  return [costChart(iterations, x), distanceChart(iterations, x), klChart(iterations, x)];
}

function costChart(iterations: readonly LqrFlmIteration[], x: CountAxis): ReportChart {
  const values = iterations.map((m) => ({ iteration: m.iteration, cost: m.cost }));
  const y = { field: 'cost', type: 'quantitative', title: 'Total cost (mean over samples)' } as const;
  return layeredChart('cost', 'Mean cost per iteration', values, [
    { mark: { type: 'line', color: LINE_COLOR }, encoding: { x, y } },
    { name: COST_POINTS, mark: { type: 'point', filled: true, size: 50 }, encoding: { x, y } },
  ]);
}

function distanceChart(iterations: readonly LqrFlmIteration[], x: CountAxis): ReportChart {
  const id = 'distance';
  const title = 'Mean final distance to the target per iteration';
  const recorded = iterations.filter((m) => m.final_distance !== null);
  if (recorded.length === 0)
    return { id, title, note: 'The task has no distance to a target, so there is no distance to show.' };
  return logLineChart(
    id,
    title,
    x,
    { field: 'distance_cm', title: 'Final distance (cm, log scale)' },
    recorded.map((m) => ({ iteration: m.iteration, distance_cm: (m.final_distance ?? 0) * 100 })),
    'Every final distance is 0; nothing to plot.',
    labelledRule('y', TARGET_DISTANCE_CM, `target ${TARGET_DISTANCE_CM} cm`, TARGET_RULE),
  );
}

function klChart(iterations: readonly LqrFlmIteration[], x: CountAxis): ReportChart {
  const values = iterations.flatMap((m) => [
    { iteration: m.iteration, series: 'KL of the update', nats: m.kl },
    { iteration: m.iteration, series: 'KL target', nats: m.kl_target },
  ]);
  const y = { field: 'nats', type: 'quantitative', title: 'KL(new ‖ current) (nats)' } as const;
  // The same field and title for colour and dash make one legend showing both.
  const color = { field: 'series', type: 'nominal', title: null, legend: { symbolType: 'stroke' } } as const;
  const strokeDash = color;
  return layeredChart('kl', 'KL divergence of each update and its target', values, [
    { mark: 'line', encoding: { x, y, color, strokeDash } },
    { mark: { type: 'point', filled: true }, encoding: { x, y, color } },
  ]);
}
