/**
 * The soak's verdict and outputs: samples checked against stated bounds, a readable table, and
 * an SVG of memory, jitter and tensor counts over time.
 */
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../src/reports/render-svg.js';

/** One sample, taken every ~10 s; per-window figures cover the time since the previous one. */
export interface SoakSample {
  t_s: number;
  heap_used_mb: number;
  rss_mb: number;
  main_tensors: number;
  /** The planner worker's live tensors at its newest plan; -1 before the planner runs. */
  planner_tensors: number;
  ticks: number;
  /** Ticks whose ControlTick carried a state (has_state). */
  state_ticks: number;
  window_ticks: number;
  window_jitter_p99_ms: number;
  window_jitter_max_ms: number;
  window_deadline_misses: number;
  transitions: number;
  log_mb: number;
  model_version: number;
  refits: number;
  mode: string;
}

/** The bounds a soak must stay within (after warm-up where it says so). */
export const SOAK_BOUNDS = {
  /** Median of the last 3 samples minus median of the first 3 after warm-up. */
  heapGrowthMb: 32,
  /** Ticks within this fraction of rate x duration. */
  rateTolerance: 0.01,
  /** In every window after warm-up. */
  jitterP99Ms: 5,
  /** Over every tick after warm-up. */
  deadlineMissFraction: 0.001,
  lostTransitions: 0,
  minModelsAccepted: 1,
} as const;

export interface SoakTotals {
  seconds: number;
  rateHz: number;
  warmupSeconds: number;
  ticks: number;
  stateTicks: number;
  /** Consecutive state-bearing tick pairs of one episode: what could become transitions. */
  tickPairs: number;
  /** Pairs the logger dropped on purpose (stale or frozen repeats), counted by it. */
  frozenTransitions: number;
  loggerTransitions: number;
  /** Transitions read back from the MCAP log after stop. */
  readBack: number;
  modelsAccepted: number;
  refits: number;
}

export interface Check {
  check: string;
  bound: string;
  measured: string;
  pass: boolean;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)];
}

export function soakChecks(samples: SoakSample[], totals: SoakTotals): Check[] {
  const after = samples.filter((s) => s.t_s >= totals.warmupSeconds);
  const first = after.slice(0, 3);
  const last = after.slice(-3);
  const heapGrowth = median(last.map((s) => s.heap_used_mb)) - median(first.map((s) => s.heap_used_mb));
  const checks: Check[] = [];
  checks.push({
    check: 'heap growth after warm-up',
    bound: `< ${SOAK_BOUNDS.heapGrowthMb} MB`,
    measured: `${heapGrowth.toFixed(1)} MB (${first.length ? median(first.map((s) => s.heap_used_mb)).toFixed(1) : '-'} -> ${last.length ? median(last.map((s) => s.heap_used_mb)).toFixed(1) : '-'})`,
    pass: after.length >= 2 && heapGrowth < SOAK_BOUNDS.heapGrowthMb,
  });
  const mainFirst = after[0]?.main_tensors ?? NaN;
  const mainLast = after.at(-1)?.main_tensors ?? NaN;
  checks.push({
    check: 'main-thread tensors',
    bound: 'not growing after warm-up',
    measured: `${mainFirst} -> ${mainLast}`,
    pass: mainLast <= mainFirst,
  });
  const planner = after.filter((s) => s.planner_tensors >= 0);
  const plannerFirst = planner[0]?.planner_tensors ?? NaN;
  const plannerLast = planner.at(-1)?.planner_tensors ?? NaN;
  checks.push({
    check: 'planner-worker tensors',
    bound: 'not growing after warm-up',
    measured:
      planner.length > 0
        ? `${plannerFirst} -> ${plannerLast} (min ${Math.min(...planner.map((s) => s.planner_tensors))}, max ${Math.max(...planner.map((s) => s.planner_tensors))})`
        : 'no planner after warm-up',
    pass: planner.length > 0 && plannerLast <= plannerFirst,
  });
  const expectedTicks = totals.seconds * totals.rateHz;
  checks.push({
    check: 'control rate',
    bound: `ticks within ${100 * SOAK_BOUNDS.rateTolerance}% of ${expectedTicks.toFixed(0)}`,
    measured: `${totals.ticks} ticks (${((100 * (totals.ticks - expectedTicks)) / expectedTicks).toFixed(2)}%)`,
    pass: Math.abs(totals.ticks - expectedTicks) <= SOAK_BOUNDS.rateTolerance * expectedTicks,
  });
  const worstP99 = Math.max(...after.map((s) => s.window_jitter_p99_ms));
  checks.push({
    check: 'start jitter p99, every window after warm-up',
    bound: `< ${SOAK_BOUNDS.jitterP99Ms} ms`,
    measured: `worst window ${worstP99.toFixed(2)} ms`,
    pass: after.length > 0 && worstP99 < SOAK_BOUNDS.jitterP99Ms,
  });
  const misses = after.reduce((n, s) => n + s.window_deadline_misses, 0);
  const ticksAfter = after.reduce((n, s) => n + s.window_ticks, 0);
  checks.push({
    check: 'deadline misses after warm-up',
    bound: `<= ${100 * SOAK_BOUNDS.deadlineMissFraction}% of ticks`,
    measured: `${misses} of ${ticksAfter}`,
    pass: misses <= SOAK_BOUNDS.deadlineMissFraction * ticksAfter,
  });
  const expected = totals.tickPairs - totals.frozenTransitions;
  const lost = expected - totals.readBack;
  checks.push({
    check: 'lost transitions (ticks with state vs the MCAP log read back)',
    bound: `= ${SOAK_BOUNDS.lostTransitions}`,
    measured: `${lost} (${totals.tickPairs} state tick pairs - ${totals.frozenTransitions} dropped as frozen = ${expected}; logger ${totals.loggerTransitions}; read back ${totals.readBack})`,
    pass: lost === SOAK_BOUNDS.lostTransitions && totals.loggerTransitions === totals.readBack,
  });
  checks.push({
    check: 'models accepted',
    bound: `>= ${SOAK_BOUNDS.minModelsAccepted}`,
    measured: `${totals.modelsAccepted} of ${totals.refits} refits`,
    pass: totals.modelsAccepted >= SOAK_BOUNDS.minModelsAccepted,
  });
  return checks;
}

/** A markdown-style table of `rows` (the columns of the first row). */
export function table(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0]);
  const cell = (v: string | number | undefined) =>
    v === undefined ? '' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v;
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
  return [
    line(columns),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map((r) => line(columns.map((c) => cell(r[c])))),
  ].join('\n');
}

/** Memory, per-window jitter and tensor counts against time, stacked, as one SVG. */
export async function soakSvg(samples: SoakSample[], warmupSeconds: number): Promise<string> {
  const minutes = (s: SoakSample) => s.t_s / 60;
  const long = (fields: [string, string][]) =>
    samples.flatMap((s) =>
      fields.map(([field, series]) => ({
        minutes: minutes(s),
        series,
        value: Number(s[field as keyof SoakSample]),
      })),
    );
  const x = { field: 'minutes', type: 'quantitative', title: 'minutes' } as const;
  const warmup = {
    data: { values: [{ minutes: warmupSeconds / 60 }] },
    mark: { type: 'rule', strokeDash: [4, 4], color: '#888888' },
    encoding: { x: { field: 'minutes', type: 'quantitative' } },
  } as const;
  const panel = (title: string, yTitle: string, values: object[], bound?: number) => ({
    title,
    width: 640,
    height: 180,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: yTitle },
          color: { field: 'series', type: 'nominal', title: null },
        },
      },
      warmup,
      ...(bound === undefined
        ? []
        : [
            {
              data: { values: [{ bound }] },
              mark: { type: 'rule', color: '#d62728', strokeDash: [6, 4] },
              encoding: { y: { field: 'bound', type: 'quantitative' } },
            },
          ]),
    ],
  });
  const spec = {
    title: 'mbrl soak: PETS cart-pole over serial (dashed grey: end of warm-up; red: bound)',
    resolve: { scale: { color: 'independent' } },
    vconcat: [
      panel(
        'memory',
        'MB',
        long([
          ['heap_used_mb', 'heap used'],
          ['rss_mb', 'RSS'],
        ]),
      ),
      panel(
        'control start jitter per window',
        'ms',
        long([
          ['window_jitter_p99_ms', 'p99'],
          ['window_jitter_max_ms', 'max'],
        ]),
        SOAK_BOUNDS.jitterP99Ms,
      ),
      panel(
        'live tfjs tensors',
        'tensors',
        long([
          ['main_tensors', 'main thread'],
          ['planner_tensors', 'planner worker'],
        ]).filter((v) => v.value >= 0),
      ),
    ],
  } as TopLevelSpec;
  return renderSvg(spec);
}
