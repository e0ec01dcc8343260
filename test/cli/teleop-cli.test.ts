/**
 * `mbrl teleop` as an operator runs it: in a real pseudo-terminal (util-linux `script`), so
 * the keyboard is a TTY in raw mode; keystrokes go in through the pty, the status line comes
 * back out, and the transition log must hold the commanded actions with source = teleop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/config/package-paths.js';
import { readTransitionLog } from '../../src/datalog/transition-log-reader.js';
import { waitFor } from '../../src/hardware/testing/wait-for.js';

const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = hasScript
  ? undefined
  : 'util-linux `script` is not installed: no pseudo-terminal to run teleop in';
if (skip) console.log(`# skipped: ${skip}`);

test('keystrokes in a pty drive the simulated cart-pole and are logged as teleop', { skip }, async () => {
  const root = packageRoot();
  const dir = mkdtempSync(join(tmpdir(), 'mbrl-teleop-'));
  const robot = join(dir, 'robot.yaml');
  writeFileSync(
    robot,
    [
      'robot: cartpole',
      'task: cartpole-swingup',
      'control: { rate_hz: 25, stale_timeout_s: 0.1, clock: wall }',
      'controller: { type: teleop }',
      `logger: { dir: ${JSON.stringify(join(dir, 'logs'))}, flush_interval_s: 0.2 }`,
      'drivers: [{ type: sim, mode: realtime, sensor_rate_hz: 100 }]',
    ].join('\n'),
  );
  const cli = join(root, 'dist', 'src', 'cli', 'main.js');
  const command = [process.execPath, cli, 'teleop', '--config', robot].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitFor(() => output.includes('cart_force +0.00'), 'the status line', 30_000);
    // Default keys: d steps cart_force up by a tenth of its range [-1, 1], i.e. 0.2.
    for (let i = 0; i < 3; i++) {
      child.stdin.write('d');
      await waitFor(() => output.includes(`cart_force +${(0.2 * (i + 1)).toFixed(2)}`), `step ${i + 1}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 600)); // ~15 control ticks at +0.6
    child.stdin.write('a');
    await waitFor(() => output.includes('cart_force +0.40'), 'step down');
    await new Promise((resolve) => setTimeout(resolve, 400));
    child.stdin.write('q');
    const code = await exited;
    assert.equal(code, 0, output);
    assert.match(output, /transitions:\s+\d+ logged/);

    const { records } = await readTransitionLog(join(dir, 'logs'));
    const teleop = records.filter((r) => r.source === 'teleop');
    assert.ok(teleop.length >= 10, `teleop transitions: ${teleop.length} of ${records.length}`);
    const actions = teleop.map((r) => Math.round(r.action[0] * 100) / 100);
    // The controller's rate limit (none here) passes the operator's values through unchanged.
    assert.ok(actions.includes(0.6), `actions ${[...new Set(actions)].join(', ')}`);
    assert.ok(actions.includes(0.4), `actions ${[...new Set(actions)].join(', ')}`);
    const firstHigh = actions.indexOf(0.6);
    assert.ok(actions.slice(0, firstHigh).every((a) => a <= 0.6));
    // Pushed right for over half a second, the cart moved right.
    const carts = teleop.map((r) => r.nextState[0]);
    assert.ok(Math.max(...carts) > 0.02, `cart max ${Math.max(...carts)}`);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
