import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { COST_POINTS, TARGET_RULE } from './lqr-flm-charts.js';
import { writeLqrFlmFixture } from './lqr-flm-fixture.js';
import { writeLqrFlmReport } from './lqr-flm-report.js';
import { count, markGroup, markPoints, section, writtenReport } from './svg-testing.js';
import { writeReport } from './write-report.js';

const NOW = new Date('2026-11-23T10:00:00Z');

test('an LQR-FLM run gets cost, distance and KL charts and a table of iterations', async () => {
  const dir = writeLqrFlmFixture({ iterations: 6, conditions: 2, samples: 5 });
  const report = await writeLqrFlmReport(dir, { now: NOW });
  const html = writtenReport(report, dir, 3, 'cost, final distance, KL');

  const cost = section(html, 'cost');
  assert.equal(markPoints(cost, COST_POINTS), 6, 'one cost point per iteration');
  assert.match(cost, /Mean cost per iteration/);

  const distance = section(html, 'distance');
  assert.match(distance, /Final distance \(cm, log scale\)/);
  const rule = markGroup(distance, 'rule', TARGET_RULE);
  assert.equal(count(rule, /<line [^>]*stroke-dasharray="6,4"/), 1, 'one dashed rule');
  assert.match(distance, /target 2 cm/);
  // The y axis is a log axis in cm that reaches down past the rule: 15 cm halving to 0.47 cm.
  assert.match(distance, /aria-label="[^"]*Y-axis titled 'Final distance[^"]*log scale/);

  const kl = section(html, 'kl');
  assert.match(kl, /aria-roledescription="legend" aria-label="[^"]*: KL of the update, KL target"/);
  assert.equal(count(kl, /aria-roledescription="line mark"/), 2, 'a line for kl and one for kl_target');

  assert.match(html, /<title>Run report: reacher-2link \/ lqr-flm<\/title>/);
  assert.match(html, /<dt>Seed<\/dt><dd>3<\/dd>/);
  assert.match(html, /<dt>Iterations<\/dt><dd>6<\/dd>/);
  assert.match(html, /<dt>Samples<\/dt><dd>5 per condition and iteration \(10 per iteration\)<\/dd>/);
  assert.match(html, /<dt>Conditions<\/dt><dd>2<\/dd>/);
  // Iteration 5: cost 400 / 6, distance 15 cm / 32.
  assert.match(html, /<dt>Final cost<\/dt><dd>66\.67 \(iteration 5\)<\/dd>/);
  assert.match(html, /<dt>Final distance<\/dt><dd>0\.47 cm<\/dd>/);
  assert.equal(count(html, /<tr>/), 7, 'table: a header row and one row per iteration');
  // Iteration 1: cost 200, 7.5 cm, kl 50 * 2 * 0.95, target 100, eta 0.04, step 2.
  assert.match(
    html,
    /<tr><td>1<\/td><td>200\.00<\/td><td>7\.50<\/td><td>95\.00<\/td><td>100\.00<\/td><td>0\.0400<\/td><td>2\.00<\/td><\/tr>/,
  );
});

test('without run.json the header comes from the metrics; without distances the chart is a sentence', async () => {
  const dir = writeLqrFlmFixture({
    iterations: 2,
    conditions: 3,
    samples: 4,
    runJson: false,
    noDistance: true,
  });
  const report = await writeLqrFlmReport(dir, { now: NOW });
  assert.equal(report.charts, 2);
  const html = readFileSync(report.file, 'utf8');
  assert.equal(count(html, /<svg/), 2);
  assert.equal(markPoints(section(html, 'cost'), COST_POINTS), 2);
  assert.match(section(html, 'distance'), /The task has no distance to a target/);
  assert.match(html, /<dt>Samples<\/dt><dd>4 per condition and iteration \(12 per iteration\)<\/dd>/);
  assert.match(html, /<dt>Final distance<\/dt><dd>—<\/dd>/);
});

test('a bad metrics line is a ConfigError naming the file and line, and no report is written', async () => {
  const bad = writeLqrFlmFixture({
    metricsLines: { 4: '{"iteration": 3, "task": "reacher-2link", "seed": 3, "cost": "low"}' },
  });
  await assert.rejects(writeLqrFlmReport(bad), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.ok(error.message.startsWith(`${join(bad, 'metrics.jsonl')}:4: `), error.message);
    assert.match(
      error.message,
      /^[^\n]*: cost: expected number, received string "low" \(and \d+ more problems\)$/,
    );
    return true;
  });
  assert.equal(existsSync(join(bad, 'report.html')), false);

  const truncated = writeLqrFlmFixture({ metricsLines: { 2: '{"iteration": 1, "co' } });
  await assert.rejects(writeLqrFlmReport(truncated), /metrics\.jsonl:2: \(root\): invalid JSON/);

  const empty = writeLqrFlmFixture();
  writeFileSync(join(empty, 'metrics.jsonl'), '\n');
  await assert.rejects(writeLqrFlmReport(empty), /metrics\.jsonl: .*no iterations/);
});

test('writeReport picks the LQR-FLM report from run.json, or from per-iteration metrics without one', async () => {
  for (const runJson of [true, false]) {
    const dir = writeLqrFlmFixture({ iterations: 3, runJson });
    const report = await writeReport(dir, { now: NOW });
    assert.equal(report.charts, 3, `runJson ${runJson}`);
    assert.match(readFileSync(report.file, 'utf8'), /id="chart-kl"/);
  }
});
