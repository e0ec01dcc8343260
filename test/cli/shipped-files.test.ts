// Every task and robot config shipped under hardware/ validates, loads its MJCF, and
// `mbrl config validate` reports a broken file by file, line and field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hardwareDir, packageRoot } from '../../src/config/package-paths.js';
import { loadRobotConfig } from '../../src/config/robot-loader.js';
import { listTaskNames, loadTask } from '../../src/config/task-loader.js';
import { TaskEnvironment } from '../../src/tasks/task-environment.js';

const run = promisify(execFile);
const cli = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

test('every shipped task loads and runs on its MJCF model', async () => {
  const names = listTaskNames();
  assert.ok(names.length >= 3);
  for (const name of names) {
    const env = await TaskEnvironment.create(loadTask(name));
    try {
      assert.equal(env.stateDim, env.task.state.length);
      const { reward } = env.step(new Float64Array(env.actionDim));
      assert.ok(Number.isFinite(reward), `${name}: reward ${reward}`);
    } finally {
      env.dispose();
    }
  }
});

test('every shipped robot config validates', () => {
  const dir = join(hardwareDir(), 'robots');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 1);
  for (const f of files) assert.doesNotThrow(() => loadRobotConfig(join(dir, f)), f);
});

test('mbrl config validate prints defaults, and names file, line and field on error', async () => {
  const good = join(hardwareDir(), 'robots', 'cartpole-sim.yaml');
  const { stdout } = await run(process.execPath, [cli, 'config', 'validate', good]);
  const parsed = JSON.parse(stdout) as { control: { rate_hz: number }; topics: { estop: string } };
  assert.equal(parsed.control.rate_hz, 25);
  assert.equal(parsed.topics.estop, 'estop', 'default filled in');

  const bad = join(mkdtempSync(join(tmpdir(), 'mbrl-cfg-')), 'bad.yaml');
  writeFileSync(bad, readFileSync(good, 'utf8').replace('rate_hz: 25', 'rate_hz: fast'));
  const line =
    readFileSync(bad, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('rate_hz')) + 1;
  const failure = await run(process.execPath, [cli, 'config', 'validate', bad]).then(
    () => assert.fail('expected a failure'),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(failure.code, 2);
  assert.ok(failure.stderr.includes(`${bad}:${line}:`), failure.stderr);
  assert.match(failure.stderr, /control\.rate_hz: .*expected number, received string/);
});
