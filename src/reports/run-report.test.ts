import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { RETURN_POINTS } from './run-charts.js';
import { writeRunFixture } from './run-fixture.js';
import { writeRunReport } from './run-report.js';
import { count, markPoints, section, writtenReport } from './svg-testing.js';

const NOW = new Date('2026-11-23T10:00:00Z');

/** The points vega draws for the return chart: one per episode. */
function returnPoints(svg: string): number {
  return markPoints(svg, RETURN_POINTS);
}

test('a run with plans and model error gets every chart, one return point per episode', async () => {
  const dir = writeRunFixture({ episodes: 9, explore: 3, plans: 120 });
  const report = await writeRunReport(dir, { now: NOW });
  const html = writtenReport(report, dir, 4, 'return, latency, compute histogram, prediction error');

  const returns = section(html, 'return');
  assert.equal(returnPoints(returns), 9);
  assert.match(returns, /Return per episode/);
  assert.match(returns, /Return \(sum of step rewards\)/);
  assert.match(returns, /aria-label="[^"]*random[^"]*"/, 'legend tells random exploration from MPC');
  assert.match(returns, /aria-label="[^"]*mpc[^"]*"/);

  const latency = section(html, 'latency');
  assert.match(latency, /<svg/);
  assert.match(latency, /control period 50 ms/);
  assert.match(latency, /Planning time per control step \(ms\)/);
  assert.match(section(html, 'compute'), /Compute time per plan \(120 plans\)/);
  const error = section(html, 'prediction-error');
  assert.match(error, /<svg/);
  assert.match(error, /log scale/);

  // Header: returns 0,11,22,30,41,52,60,71,82 -> best 82 (episode 8), last five mean 61.20.
  assert.match(html, /<dt>Seed<\/dt><dd>4<\/dd>/);
  assert.match(html, /<dt>Best return<\/dt><dd>82\.00 \(episode 8\)<\/dd>/);
  assert.match(html, /<dt>Mean return, last 5<\/dt><dd>61\.20<\/dd>/);
  assert.match(html, /<dt>Run started<\/dt><dd>2026-11-22 01:55 UTC<\/dd>/);
  assert.match(html, /<dt>Report generated<\/dt><dd>2026-11-23 10:00 UTC<\/dd>/);
  assert.equal(count(html, /<tr>/), 10, 'table: a header row and one row per episode');
});

test('without prediction error or plans, the error chart is a sentence and there is no histogram', async () => {
  const dir = writeRunFixture({ episodes: 4, predictionError: false, source: false });
  const report = await writeRunReport(dir, { now: NOW });
  assert.equal(report.charts, 2);
  const html = readFileSync(report.file, 'utf8');
  assert.equal(count(html, /<svg/), 2);
  const returns = section(html, 'return');
  assert.equal(returnPoints(returns), 4);
  assert.match(
    returns,
    /exploration \(no plan\)/,
    'without a source field, unplanned episodes are exploration',
  );
  assert.doesNotMatch(html, /id="chart-compute"/);
  const error = section(html, 'prediction-error');
  assert.doesNotMatch(error, /<svg/);
  assert.match(error, /There is no model prediction error in this run/);
});

test('a run that never planned replaces the latency chart too', async () => {
  const dir = writeRunFixture({ episodes: 1, explore: 1 });
  const report = await writeRunReport(dir, { now: NOW });
  assert.equal(report.charts, 1);
  const html = readFileSync(report.file, 'utf8');
  assert.equal(returnPoints(section(html, 'return')), 1);
  assert.match(section(html, 'latency'), /No episode planned/);
  assert.match(section(html, 'prediction-error'), /There is no model prediction error/);
});

test('a bad metrics line is a ConfigError naming the file and line, and no report is written', async () => {
  const bad = writeRunFixture({ metricsLines: { 3: '{"episode": 2, "return": "high"}' } });
  await assert.rejects(writeRunReport(bad), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    // One line: the first problem of the record and how many more (the missing fields) there are.
    assert.ok(error.message.startsWith(`${join(bad, 'metrics.jsonl')}:3: return: `), error.message);
    assert.match(
      error.message,
      /^[^\n]*: expected number, received string "high" \(and \d+ more problems\)$/,
    );
    return true;
  });
  assert.equal(existsSync(join(bad, 'report.html')), false);

  const truncated = writeRunFixture({ metricsLines: { 5: '{"episode": 4, "ret' } });
  await assert.rejects(writeRunReport(truncated), /metrics\.jsonl:5: \(root\): invalid JSON/);

  const badPlan = writeRunFixture({ plans: 3 });
  writeFileSync(
    join(badPlan, 'planning.jsonl'),
    '{"episode":3,"step":0,"compute_ms":-1,"iterations":1,"predicted_return":0,"return_std":0}\n',
  );
  await assert.rejects(writeRunReport(badPlan), /planning\.jsonl:1: compute_ms: /);
});

test('a directory without metrics.jsonl, or with an empty one, is an input error', async () => {
  const dir = writeRunFixture();
  await assert.rejects(writeRunReport(join(dir, 'nope')), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /nope\/metrics\.jsonl: .*no such file/);
    return true;
  });
  writeFileSync(join(dir, 'metrics.jsonl'), '\n');
  await assert.rejects(writeRunReport(dir), /metrics\.jsonl: .*no episodes/);
});
