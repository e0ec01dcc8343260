/** Benchmark output: one JSON document (for tools) followed by a readable table (for people). */
import { cpus, totalmem } from 'node:os';

export interface BenchRow {
  [column: string]: string | number;
}

export function machineInfo() {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

export function printReport(name: string, rows: BenchRow[], extra: Record<string, unknown> = {}): void {
  const doc = {
    benchmark: name,
    machine: machineInfo(),
    date: new Date().toISOString(),
    ...extra,
    results: rows,
  };
  process.stdout.write(JSON.stringify(doc, null, 2) + '\n\n');
  if (rows.length === 0) return;
  // Rows of one benchmark may differ in columns (prediction vs training): use their union.
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: string | number | undefined) =>
    v === undefined ? '' : typeof v === 'number' ? formatNumber(v) : v;
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => '| ' + values.map((v, i) => v.padEnd(widths[i])).join(' | ') + ' |';
  process.stdout.write(line(columns) + '\n');
  process.stdout.write('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|\n');
  for (const row of rows) process.stdout.write(line(columns.map((c) => cell(row[c]))) + '\n');
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(4);
}
