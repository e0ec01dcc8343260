/**
 * `npm run bench -- <name> [--seconds S]`: runs a benchmark and prints JSON then a table.
 * Record measured figures with the machine and command in docs/BENCHMARKS.md.
 */
import { printReport } from './bench-report.js';
import { controlBenchmark } from './control-bench.js';
import { hardwareBenchmark } from './hardware-bench.js';
import { modelBenchmark } from './model-bench.js';
import { plannerBenchmark } from './planner-bench.js';
import { simBenchmark } from './sim-bench.js';

const benchmarks: Record<string, (seconds: number) => Promise<Record<string, string | number>[]>> = {
  sim: simBenchmark,
  model: modelBenchmark,
  planner: plannerBenchmark,
  control: controlBenchmark,
  hardware: hardwareBenchmark,
};

async function main(argv: string[]): Promise<void> {
  const names = argv.filter((a) => !a.startsWith('--') && !/^\d+(\.\d+)?$/.test(a));
  const secondsFlag = argv.indexOf('--seconds');
  const seconds = secondsFlag >= 0 ? Number(argv[secondsFlag + 1]) : 3;
  if (!(seconds > 0)) throw new Error(`--seconds must be a positive number, got ${argv[secondsFlag + 1]}`);
  const selected = names.length > 0 ? names : Object.keys(benchmarks);
  for (const name of selected) {
    const bench = benchmarks[name];
    if (!bench)
      throw new Error(`unknown benchmark "${name}" (available: ${Object.keys(benchmarks).join(', ')})`);
    printReport(name, await bench(seconds), { command: `npm run bench -- ${name} --seconds ${seconds}` });
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
