/**
 * Reads the JSON files of a run directory against a zod schema. Any problem is a ConfigError
 * (so the CLI prints it as one line and exits 2) naming the file, the line and the field:
 * `runs/x/metrics.jsonl:7: return: expected number, received string "abc"`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../config/config-error.js';
import { checkSchema } from '../config/schema-check.js';

/** One record per non-blank line of a JSON Lines file. */
export function readJsonLines<S extends z.ZodType>(file: string, schema: S): z.output<S>[] {
  const records: z.output<S>[] = [];
  readText(file)
    .split('\n')
    .forEach((text, index) => {
      if (text.trim() !== '') records.push(parseRecord(text, schema, file, index + 1));
    });
  return records;
}

/** A whole file holding one JSON value. */
export function readJsonFile<S extends z.ZodType>(file: string, schema: S): z.output<S> {
  return parseRecord(readText(file), schema, file, undefined);
}

/**
 * A run directory's `metrics.jsonl` (required, at least one record, each a `what` such as "episodes")
 * and `run.json` (optional; empty when absent).
 */
export function readRunFiles<R extends z.ZodType, I extends z.ZodType>(
  dir: string,
  recordSchema: R,
  infoSchema: I,
  what: string,
): { records: z.output<R>[]; info: z.output<I> | Record<string, never> } {
  const metricsFile = join(dir, 'metrics.jsonl');
  const records = readJsonLines(metricsFile, recordSchema);
  if (records.length === 0)
    throw new ConfigError(metricsFile, [{ path: [], message: `no ${what} (the file is empty)` }]);
  const infoFile = join(dir, 'run.json');
  return { records, info: existsSync(infoFile) ? readJsonFile(infoFile, infoSchema) : {} };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new ConfigError(file, [{ path: [], message: `cannot read file: ${reason}` }]);
  }
}

function parseRecord<S extends z.ZodType>(
  text: string,
  schema: S,
  file: string,
  line: number | undefined,
): z.output<S> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [{ path: [], line, message: `invalid JSON: ${(error as Error).message}` }]);
  }
  const checked = checkSchema(schema, data);
  if (checked.ok) return checked.value;
  // One line of output per bad record: the first problem, and how many more there are.
  const [first, ...rest] = checked.issues;
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
  throw new ConfigError(file, [{ path: first.path, line, message: first.message + more }]);
}
