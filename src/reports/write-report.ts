/**
 * `mbrl report DIR` for any run: the LQR-FLM report when run.json names the lqr-flm controller (or,
 * without a controller in run.json, when the metrics are per iteration rather than per episode), the
 * episode report otherwise.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile } from './json-records.js';
import { writeLqrFlmReport } from './lqr-flm-report.js';
import type { ReportOptions, RunReport } from './report-file.js';
import { writeRunReport } from './run-report.js';

export async function writeReport(runDir: string, options: ReportOptions = {}): Promise<RunReport> {
  return isLqrFlmRun(runDir) ? writeLqrFlmReport(runDir, options) : writeRunReport(runDir, options);
}

const ControllerSchema = z.object({ controller: z.string().optional() });

function isLqrFlmRun(runDir: string): boolean {
  const infoFile = join(runDir, 'run.json');
  const { controller } = existsSync(infoFile) ? readJsonFile(infoFile, ControllerSchema) : {};
  if (controller !== undefined) return controller === 'lqr-flm';
  const first = firstRecord(join(runDir, 'metrics.jsonl'));
  return first !== undefined && 'iteration' in first && !('episode' in first);
}

/** The first record of a JSON Lines file; undefined when there is none or it is not a JSON object (the report's reader says why). */
function firstRecord(file: string): object | undefined {
  try {
    const line = readFileSync(file, 'utf8')
      .split('\n')
      .find((text) => text.trim() !== '');
    const record: unknown = line === undefined ? undefined : JSON.parse(line);
    return typeof record === 'object' && record !== null ? record : undefined;
  } catch {
    return undefined;
  }
}
