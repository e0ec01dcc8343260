/**
 * The vega-lite building blocks of the report charts: a layered chart of the common size, an axis
 * over whole numbers (episodes, iterations), a line of points on a log scale and a dashed, labelled
 * reference rule.
 */
import type { TopLevelSpec } from 'vega-lite';

export type ReportChart =
  { id: string; title: string; spec: TopLevelSpec } | { id: string; title: string; note: string };

/** One layer of a layered vega-lite chart (every chart here is one). */
export type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];

const WIDTH = 640;
const HEIGHT = 220;
export const RULE_COLOR = '#d62728';
export const LINE_COLOR = '#bbbbbb';

export function layeredChart(id: string, title: string, values: object[], layer: Layer[]): ReportChart {
  return { id, title, spec: { title, width: WIDTH, height: HEIGHT, data: { values }, layer } };
}

/** An axis over whole numbers spanning `numbers`, so charts over the same numbers line up. */
export function countAxis(field: string, title: string, numbers: readonly number[]) {
  return {
    field,
    type: 'quantitative' as const,
    title,
    scale: { domain: [Math.min(...numbers), Math.max(...numbers)] },
    axis: { format: 'd', tickMinStep: 1 },
  };
}
export type CountAxis = ReturnType<typeof countAxis>;

/**
 * A grey line through points on a log y scale, over `x`. Values at or below zero, which a log scale
 * cannot place, are left out; with none left the chart is the sentence `allZero`.
 */
export function logLineChart(
  id: string,
  title: string,
  x: CountAxis,
  y: { field: string; title: string },
  values: readonly Record<string, number>[],
  allZero: string,
  extra: Layer[] = [],
): ReportChart {
  const positive = values.filter((v) => v[y.field] > 0);
  if (positive.length === 0) return { id, title, note: allZero };
  const yLog = { ...y, type: 'quantitative', scale: { type: 'log' } } as const;
  return layeredChart(id, title, positive, [
    { mark: { type: 'line', color: LINE_COLOR }, encoding: { x, y: yLog } },
    { mark: { type: 'point', filled: true }, encoding: { x, y: yLog } },
    ...extra,
  ]);
}

/**
 * A dashed line at `value` across the axis the value runs along, labelled with `text`. Its layers
 * are named `name` (the SVG class of the rule is `<name>_marks`).
 */
export function labelledRule(axis: 'x' | 'y', value: number, text: string, name: string): Layer[] {
  // Own one-row data: with the chart's data the rule would be drawn once per row.
  const data = { values: [{}] };
  const at = { datum: value, type: 'quantitative' } as const;
  const mark = { color: RULE_COLOR, align: 'left', text } as const;
  return [
    { name, data, mark: { type: 'rule', color: RULE_COLOR, strokeDash: [6, 4] }, encoding: { [axis]: at } },
    axis === 'y'
      ? { data, mark: { type: 'text', ...mark, dx: 4, dy: -6 }, encoding: { y: at, x: { value: 0 } } }
      : { data, mark: { type: 'text', ...mark, dx: 4, dy: 10 }, encoding: { x: at, y: { value: 0 } } },
  ];
}
