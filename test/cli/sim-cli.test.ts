// End-to-end: the `mbrl` binary as a user runs it, on the real embedded simulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../src/config/package-paths.js';

const run = promisify(execFile);
const cli = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

async function mbrl(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { cwd: packageRoot() });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function readMetrics(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('mbrl sim with a random policy writes one metrics line per episode with random-policy returns', async () => {
  const out = mkdtempSync(join(tmpdir(), 'mbrl-sim-'));
  const result = await mbrl([
    'sim',
    '--task',
    'cartpole-swingup',
    '--controller',
    'random',
    '--episodes',
    '3',
    '--seed',
    '1',
    '--out',
    out,
  ]);
  assert.equal(result.code, 0, result.stderr);
  const metrics = readMetrics(out);
  assert.equal(metrics.length, 3);
  metrics.forEach((m, i) => {
    assert.equal(m.episode, i);
    assert.equal(m.steps, 200);
    assert.equal(m.seed, 1);
    assert.equal(typeof m.return, 'number');
    // A random policy leaves the pole hanging: ~exp(-4) = 0.018 per step, far below the
    // swing-up optimum of ~200 (and above the -0.01 * 200 = -2 action-penalty floor).
    assert.ok((m.return as number) > -2 && (m.return as number) < 20, `return ${m.return}`);
    assert.equal(m.missed_commands, 0, 'the controller answered every lockstep period');
  });
  assert.match(result.stderr, /episodes 3\/3/, 'progress is shown');
  assert.match(result.stdout, /3 episodes of cartpole-swingup with random: mean return/);
});

test('mbrl sim is reproducible: same seed, same returns bit for bit', async () => {
  const a = mkdtempSync(join(tmpdir(), 'mbrl-sim-'));
  const b = mkdtempSync(join(tmpdir(), 'mbrl-sim-'));
  const c = mkdtempSync(join(tmpdir(), 'mbrl-sim-'));
  const args = (out: string, seed: string) => [
    'sim',
    '--task',
    'pendulum-swingup',
    '--episodes',
    '2',
    '--seed',
    seed,
    '--out',
    out,
  ];
  assert.equal((await mbrl(args(a, '5'))).code, 0);
  assert.equal((await mbrl(args(b, '5'))).code, 0);
  assert.equal((await mbrl(args(c, '6'))).code, 0);
  const returns = (dir: string) => readMetrics(dir).map((m) => m.return);
  assert.deepEqual(returns(a), returns(b));
  assert.notDeepEqual(returns(a), returns(c));
});

test('mbrl tasks lists every shipped task with its spaces', async () => {
  const result = await mbrl(['tasks', '--json']);
  assert.equal(result.code, 0, result.stderr);
  const tasks = JSON.parse(result.stdout) as { name: string; state: string[]; action: { name: string }[] }[];
  assert.deepEqual(
    tasks.map((t) => t.name),
    ['cartpole-swingup', 'pendulum-swingup', 'reacher-2link'],
  );
  assert.equal(tasks[0].state.length, 4);
  assert.equal(tasks[2].action.length, 2);
});

test('bad input gives a clear error and exit code 2', async () => {
  const unknown = await mbrl([
    'sim',
    '--task',
    'cartpole',
    '--out',
    mkdtempSync(join(tmpdir(), 'mbrl-sim-')),
  ]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /cartpole/);
  assert.match(unknown.stderr, /cartpole-swingup/, 'lists the available tasks');
  assert.doesNotMatch(unknown.stderr, /at .*\.js:\d+/, 'no stack trace for user errors');
  const badSeed = await mbrl(['sim', '--task', 'cartpole-swingup', '--seed', 'x']);
  assert.notEqual(badSeed.code, 0);
  assert.match(badSeed.stderr, /--seed.*expected an integer, got "x"/);
  const badController = await mbrl(['sim', '--task', 'cartpole-swingup', '--controller', 'magic']);
  assert.notEqual(badController.code, 0);
  assert.match(badController.stderr, /magic.*random/s);
});
