/**
 * Option parsing shared by the optimizers: zod field builders whose messages say what was expected
 * and what was given, and a parser that prefixes each message with the optimizer and option name
 * ("cem.population: must be a positive integer, got -5") so a bad config is fixable from the error.
 */
import { z } from 'zod';

/** A bad optimizer option or search space; the message names the option. */
export class OptimizerConfigError extends RangeError {
  override name = 'OptimizerConfigError';
}

/** A value as a person would write it in a config file. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null)
    return String(value);
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as Float32Array).length})`;
  return typeof value;
}

type InputIssue = { readonly input?: unknown };

/** A positive integer with a default. */
export function positiveInteger(defaultValue: number) {
  const error = (issue: InputIssue) => `must be a positive integer, got ${show(issue.input)}`;
  return z.number({ error }).int({ error }).min(1, { error }).default(defaultValue);
}

/** A finite number inside an interval; open ends are written with `>`/`<` in the message. */
export function numberIn(
  range: { min?: number; minExclusive?: boolean; max?: number; maxExclusive?: boolean },
  defaultValue: number,
) {
  const parts: string[] = [];
  if (range.min !== undefined && range.max !== undefined)
    parts.push(
      `in ${range.minExclusive ? '(' : '['}${range.min}, ${range.max}${range.maxExclusive ? ')' : ']'}`,
    );
  else if (range.min !== undefined) parts.push(`${range.minExclusive ? '>' : '>='} ${range.min}`);
  else if (range.max !== undefined) parts.push(`${range.maxExclusive ? '<' : '<='} ${range.max}`);
  const expected = parts.length > 0 ? `a finite number ${parts[0]}` : 'a finite number';
  const error = (issue: InputIssue) => `must be ${expected}, got ${show(issue.input)}`;
  const inRange = (v: number) =>
    (range.min === undefined || (range.minExclusive ? v > range.min : v >= range.min)) &&
    (range.max === undefined || (range.maxExclusive ? v < range.max : v <= range.max));
  return z.number({ error }).refine(inRange, { error }).default(defaultValue);
}

export function booleanOption(defaultValue: boolean) {
  const error = (issue: InputIssue) => `must be true or false, got ${show(issue.input)}`;
  return z.boolean({ error }).default(defaultValue);
}

/**
 * A per-action-entry standard deviation: one positive number for every entry, or an array with
 * one per entry (its length is checked against the space by `resolvePerEntry`). Optional; the
 * optimizer derives the default from the bounds.
 */
export function perEntryStd() {
  const isPositive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
  const valid = (v: unknown): v is number | number[] =>
    isPositive(v) || (Array.isArray(v) && v.length > 0 && v.every(isPositive));
  return z
    .custom<number | number[]>(valid, {
      error: (issue: InputIssue) =>
        `must be a positive number or an array of positive numbers (one per action entry), ` +
        `got ${show(issue.input)}`,
    })
    .optional();
}

/** Refinement for CEM-style schemas: elites are chosen from the population, so at most that many. */
export function elitesWithinPopulation(
  o: { population: number; elites: number },
  ctx: z.RefinementCtx,
): void {
  // Only meaningful once population is valid; its own message covers the other case.
  if (Number.isInteger(o.population) && o.population >= 1 && o.elites > o.population)
    ctx.addIssue({
      code: 'custom',
      path: ['elites'],
      message: `must be <= population (${o.population}), got ${o.elites}`,
    });
}

/**
 * Parses `options` (undefined means all defaults) and throws an OptimizerConfigError naming each
 * bad option as `${prefix}.${option}`; `labels` adds the paper's symbol to a name, e.g.
 * { temperature: 'temperature (lambda)' }.
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  options: unknown,
  prefix: string,
  labels: Readonly<Record<string, string>> = {},
): z.output<S> {
  const result = schema.safeParse(options ?? {});
  if (result.success) return result.data;
  const messages = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((k) => `${prefix}.${k}: unknown option`).join('; ');
    if (issue.path.length === 0) return `${prefix}: ${issue.message}`;
    const [head, ...rest] = issue.path.map(String);
    const name = [labels[head] ?? head, ...rest].join('.');
    return `${prefix}.${name}: ${issue.message}`;
  });
  throw new OptimizerConfigError(messages.join('; '));
}

/**
 * Expands a per-entry option (a number, an array of actionDim numbers, or undefined for the
 * default computed from the entry's range) to one value per action entry.
 */
export function resolvePerEntry(
  value: number | readonly number[] | undefined,
  low: Float32Array,
  high: Float32Array,
  defaultFractionOfRange: number,
  name: string,
): Float64Array {
  const d = low.length;
  const out = new Float64Array(d);
  if (Array.isArray(value) && value.length !== d)
    throw new OptimizerConfigError(
      `${name}: expected ${d} entries (one per action entry), got ${value.length}`,
    );
  for (let j = 0; j < d; j++) {
    if (value === undefined) out[j] = defaultFractionOfRange * (high[j] - low[j]);
    else if (typeof value === 'number') out[j] = value;
    else out[j] = value[j];
  }
  return out;
}
