// `mbrl report DIR` as a user runs it: the built binary, its output and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../config/package-paths.js';
import { writeLqrFlmFixture } from './lqr-flm-fixture.js';
import { writeRunFixture } from './run-fixture.js';

const cli = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

async function mbrl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('mbrl report writes report.html and prints its path', async () => {
  const dir = writeRunFixture({ plans: 10 });
  const result = await mbrl(['report', dir]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `${join(dir, 'report.html')}\n`);
  assert.ok(existsSync(join(dir, 'report.html')));
});

test('mbrl report on bad input exits 2 with one line naming the file', async () => {
  const missing = await mbrl(['report', join(writeRunFixture(), 'absent')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^mbrl: .*absent\/metrics\.jsonl: .*no such file\n$/);

  const bad = await mbrl(['report', writeRunFixture({ metricsLines: { 2: '{"episode": -1}' } })]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^mbrl: .*metrics\.jsonl:2: episode: [^\n]*\n$/);
});

test('mbrl report on an lqr-flm run writes the LQR-FLM report', async () => {
  const dir = writeLqrFlmFixture({ iterations: 4 });
  const result = await mbrl(['report', dir]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `${join(dir, 'report.html')}\n`);
  assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<section id="iterations">/);
});
