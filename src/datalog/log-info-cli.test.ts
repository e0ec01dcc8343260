// `mbrl log info` on a fixture log: several finished files (rotation) and a last file cut off
// mid-record, as a crash leaves it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { packageRoot } from '../config/package-paths.js';
import { scanMcapFile } from './mcap-stream-scan.js';
import { openTestWriter, TEST_TASK, tempDir, testRecord } from './testing/transition-fixtures.js';
import { readTransitionLog } from './transition-log-reader.js';
import type { TransitionLogSummary } from './transition-log-summary.js';

const run = promisify(execFile);
const cli = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
const RECORDS = 120;
const KEEP_IN_LAST = 4; // messages left in the cut-off last file

/** The fixture: RECORDS records over three files or more, the last cut 10 bytes into its 5th message. */
async function fixtureLog(): Promise<{ dir: string; total: number; files: string[]; stoppedAt: number }> {
  const dir = tempDir('cli');
  const writer = await openTestWriter(dir, {
    rotateBytes: 16384,
    now: () => Date.UTC(2024, 0, 2, 3, 4, 5, 678),
  });
  for (let i = 0; i < RECORDS; i++) writer.append(testRecord(i));
  await writer.close();
  const files = readdirSync(dir)
    .filter((n) => n.endsWith('.mcap'))
    .sort();
  assert.ok(files.length >= 3, `${files.length} files`);
  const last = join(dir, files[files.length - 1]);
  const inLast = (await readTransitionLog(last)).records.length;
  const ends: number[] = [];
  await scanMcapFile(last, (record, end) => {
    if (record.type === 'Message') ends.push(end);
  });
  writeFileSync(last, readFileSync(last).subarray(0, ends[KEEP_IN_LAST - 1] + 10));
  return { dir, total: RECORDS - inLast + KEEP_IN_LAST, files, stoppedAt: ends[KEEP_IN_LAST - 1] };
}

test('mbrl log info reports files, counts, time range, episodes, sources, model versions and truncation', async () => {
  const { dir, total, files, stoppedAt } = await fixtureLog();
  const kept = Array.from({ length: total }, (_, i) => testRecord(i));
  const count = (source: string) => kept.filter((r) => r.source === source).length;

  const json = JSON.parse(
    (await run(process.execPath, [cli, 'log', 'info', dir, '--json'])).stdout,
  ) as TransitionLogSummary;
  assert.equal(json.transitions, total);
  assert.deepEqual(json.task, TEST_TASK);
  assert.deepEqual(json.timeRange, { min: 0, max: (total - 1) * 0.02 });
  assert.deepEqual(json.episodes, [0, 1, 2]);
  assert.deepEqual(json.sources, {
    random: count('random'),
    mpc: count('mpc'),
    teleop: count('teleop'),
    lqr: count('lqr'),
    reset: count('reset'),
    safe: count('safe'),
  });
  assert.deepEqual(json.modelVersions, [0, 1]);
  assert.deepEqual(
    json.files.map((f) => [f.file, f.finished]),
    files.map((name, k) => [join(dir, name), k < files.length - 1]),
  );
  assert.equal(json.files[files.length - 1].transitions, KEEP_IN_LAST);
  assert.equal(json.files[files.length - 1].stoppedAt, stoppedAt);
  assert.equal(
    json.files.reduce((n, f) => n + f.transitions, 0),
    total,
  );

  const { stdout } = await run(process.execPath, [cli, 'log', 'info', dir]);
  const lines = stdout.trimEnd().split('\n');
  const sources = ['random', 'mpc', 'teleop', 'lqr', 'reset', 'safe']
    .map((s) => `${s} ${count(s)}`)
    .join(', ');
  assert.deepEqual(lines.slice(0, 8), [
    `log:            ${dir} (${files.length} files)`,
    'task:           test-cart: state [x, x_dot, theta, theta_dot], action [force]',
    `transitions:    ${total}`,
    `time range:     0.000 .. ${((total - 1) * 0.02).toFixed(3)} s`,
    'episodes:       3 (0-2)',
    `sources:        ${sources}`,
    'model versions: 0, 1',
    'files:',
  ]);
  assert.equal(lines.length, 8 + files.length);
  for (const [k, name] of files.entries()) {
    const state = k < files.length - 1 ? 'finished ' : 'truncated';
    assert.ok(lines[8 + k].startsWith(`  ${state} ${name}: `), lines[8 + k]);
  }
  assert.match(
    lines[lines.length - 1],
    new RegExp(`: ${KEEP_IN_LAST} transitions, \\d+ bytes, data stops at byte ${stoppedAt}$`),
  );
});

test('mbrl log info: a missing path or a file that is not MCAP exits 2 with one line naming it', async () => {
  const dir = tempDir('cli-bad');
  const notMcap = join(dir, 'x.mcap');
  writeFileSync(notMcap, 'definitely not an mcap file');
  for (const [path, message] of [
    [join(dir, 'missing'), 'no such file or directory'],
    [notMcap, 'not an MCAP file'],
  ]) {
    const failure = await run(process.execPath, [cli, 'log', 'info', path]).then(
      () => assert.fail(`${path}: expected a failure`),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(failure.code, 2);
    const lines = failure.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, failure.stderr);
    assert.ok(lines[0].startsWith(`mbrl: ${path}: ${message}`), lines[0]);
  }
});
