/**
 * The hardware commands as a user runs them, end to end: `mbrl device serial` plays the
 * cart-pole's board (the MuJoCo simulator behind the device file's wire protocol) on one end
 * of a socat pty pair, and `mbrl calibrate zero` / `mbrl run` drive it through the real serial
 * driver on the other end. Config mistakes must stop a command with exit code 2 and a message
 * naming the file at fault.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { calibrationDir, hardwareDir, packageRoot } from '../../src/config/package-paths.js';
import { readTransitionLog } from '../../src/datalog/transition-log-reader.js';
import { Calibration } from '../../src/hardware/calibration/calibration.js';
import { SocatPtyPair, serialTestSkipReason } from '../../src/hardware/testing/socat-pty-pair.js';
import { waitFor } from '../../src/hardware/testing/wait-for.js';

const skip = serialTestSkipReason();
if (skip) console.log(`# skipped: ${skip}`);

const root = packageRoot();
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const serialDevice = join(hardwareDir(), 'devices', 'cartpole-serial.yaml');
const shippedCalibration = join(calibrationDir(), 'cartpole.yaml');
/** What a stack trace looks like in stderr: user errors must not print one. */
const STACK = /^\s+at .*[.:]\d+/m;

/** A running `mbrl` child with its output collected; stop() is safe to call at any time. */
class Mbrl {
  static readonly live = new Set<Mbrl>();
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(readonly args: string[]) {
    this.child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    // 'close' (not 'exit') so the output is complete when it resolves.
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
    Mbrl.live.add(this);
    void this.exited.then(() => Mbrl.live.delete(this));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM (the commands shut down cleanly on it), SIGKILL if that does not end it. */
  async stop(): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
    await this.exited;
  }

  static async stopAll(): Promise<void> {
    await Promise.all([...Mbrl.live].map((p) => p.stop()));
  }
}

after(() => Mbrl.stopAll());

/**
 * Runs `mbrl args` to completion. The deadline only keeps a hung command from hanging the
 * test run (it is killed and the test fails); it is not a timing expectation.
 */
async function mbrl(
  args: string[],
  deadlineMs = 120_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = new Mbrl(args);
  let timer: NodeJS.Timeout | undefined;
  try {
    const code = await Promise.race([
      p.exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`mbrl ${args.join(' ')} did not finish: ${p.stderr}`)),
          deadlineMs,
        );
      }),
    ]);
    return { code, stdout: p.stdout, stderr: p.stderr };
  } finally {
    clearTimeout(timer);
    await p.stop();
  }
}

/** `mbrl device serial` on the pair's device end, once it has opened its port. */
async function startBoard(pair: SocatPtyPair, extra: string[]): Promise<Mbrl> {
  // --seconds is only a backstop should this test process die without stopping it.
  const board = new Mbrl(['device', 'serial', '--port', pair.devicePath, '--seconds', '600', ...extra]);
  try {
    await waitFor(
      () => board.stderr.includes(`${pair.devicePath}: open`) || !board.running,
      'the virtual board to open its port',
      60_000,
    );
    assert.ok(board.running, `mbrl device serial exited early: ${board.stderr}`);
  } catch (err) {
    await board.stop();
    throw err;
  }
  return board;
}

function tempDir(t: { after: (fn: () => void) => void }, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The shipped calibration with the given joint zero offsets, comments and layout kept. */
function calibrationWithOffsets(offsets: Record<string, number>): string {
  const doc = parseDocument(readFileSync(shippedCalibration, 'utf8'));
  for (const [joint, value] of Object.entries(offsets)) {
    assert.ok(doc.hasIn(['joints', joint, 'zero_offset']), `calibration/cartpole.yaml has joints.${joint}`);
    doc.setIn(['joints', joint, 'zero_offset'], value);
  }
  return doc.toString();
}

/** A robot config whose one driver is the cart-pole's serial board on `port`. */
function robotYaml(options: {
  port: string;
  calibration?: string;
  device?: string;
  logDir?: string;
}): string {
  const lines = [
    'robot: cartpole',
    'task: cartpole-swingup',
    'control: { rate_hz: 25, stale_timeout_s: 0.2, clock: wall }',
    'controller: { type: random }',
    'drivers:',
    '  - type: serial',
    `    port: ${JSON.stringify(options.port)}`,
    `    device: ${JSON.stringify(options.device ?? serialDevice)}`,
  ];
  if (options.calibration) lines.push(`    calibration: ${JSON.stringify(options.calibration)}`);
  // Only `mbrl run` opens the log; calibration runs need no logger section.
  if (options.logDir) lines.push(`logger: { dir: ${JSON.stringify(options.logDir)}, flush_interval_s: 0.2 }`);
  return lines.join('\n') + '\n';
}

/** `cartpole-serial <joint>: zero_offset <before> -> <after>` lines of `mbrl calibrate zero`. */
function reportedOffsets(stdout: string): Record<string, { before: number; after: number }> {
  const out: Record<string, { before: number; after: number }> = {};
  for (const m of stdout.matchAll(/^cartpole-serial (\w+): zero_offset (\S+) -> (\S+) /gm))
    out[m[1]] = { before: Number(m[2]), after: Number(m[3]) };
  return out;
}

function commentLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.trimStart().startsWith('#'))
    .map((l) => l.trim());
}

/** |a - b| <= tol, with both values in the message. */
function near(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual}, expected ${expected} +- ${tol}`);
}

/**
 * The board's "true" offsets. The virtual board sends raw = inverse(truth calibration) of the
 * simulated pose; a driver calibrated with zero offsets reads cal(raw) = sign * pose + truth
 * offset, so zeroing at the task's start pose (cart 0, pole hanging at pi, where the board
 * starts at rest with --start-state mean) must recover the truth's offsets. The ticks are
 * integers: 1e-4 m and 2 pi / 16384 rad of quantization, well inside 1e-3.
 */
const TRUTH = { slider: 0.123, hinge: -0.4 };
const TOLERANCE = 1e-3;

describe('mbrl calibrate zero against a virtual serial board', { skip }, () => {
  let pair: SocatPtyPair | undefined;
  let board: Mbrl | undefined;
  let dir = '';
  let robot = '';
  let zeroCalibration = '';
  const zeroText = calibrationWithOffsets({ slider: 0, hinge: 0 });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mbrl-calibrate-'));
    const truth = join(dir, 'truth.yaml');
    writeFileSync(truth, calibrationWithOffsets(TRUTH));
    zeroCalibration = join(dir, 'cartpole.yaml');
    writeFileSync(zeroCalibration, zeroText);
    pair = await SocatPtyPair.create();
    board = await startBoard(pair, ['--calibration', truth, '--start-state', 'mean']);
    robot = join(dir, 'robot.yaml');
    writeFileSync(robot, robotYaml({ port: pair.hostPath, calibration: zeroCalibration }));
  });

  after(async () => {
    await board?.stop();
    await pair?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('--dry-run prints the recovered offsets and writes nothing', async () => {
    const out = join(dir, 'dry-run.yaml');
    const r = await mbrl([
      'calibrate',
      'zero',
      '--config',
      robot,
      '--samples',
      '50',
      '--out',
      out,
      '--dry-run',
      '--timeout',
      '60',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const offsets = reportedOffsets(r.stdout);
    assert.deepEqual(Object.keys(offsets).sort(), ['hinge', 'slider'], r.stdout);
    for (const [joint, truth] of Object.entries(TRUTH)) {
      assert.equal(offsets[joint].before, 0);
      near(offsets[joint].after, truth, TOLERANCE, `${joint} zero_offset`);
    }
    assert.doesNotMatch(r.stdout, /wrote/);
    assert.equal(existsSync(out), false, '--dry-run must not create --out');
    assert.equal(readFileSync(zeroCalibration, 'utf8'), zeroText, '--dry-run must not touch the calibration');
  });

  test('--out writes the truth offsets, version bumped, comments kept; the source is untouched', async () => {
    const out = join(dir, 'out.yaml');
    const r = await mbrl([
      'calibrate',
      'zero',
      '--config',
      robot,
      '--samples',
      '50',
      '--out',
      out,
      '--timeout',
      '60',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(`wrote ${out} (version 2,`), r.stdout);
    assert.equal(readFileSync(zeroCalibration, 'utf8'), zeroText, 'with --out the source file is left alone');

    const before = Calibration.load(zeroCalibration);
    const written = Calibration.load(out);
    for (const [joint, truth] of Object.entries(TRUTH)) {
      near(written.joint(joint).zero_offset, truth, TOLERANCE, `${joint} zero_offset`);
      assert.equal(written.joint(joint).sign, before.joint(joint).sign, `${joint} sign unchanged`);
    }
    assert.equal(written.config.version, before.config.version + 1);
    assert.match(written.config.date, /^\d{4}-\d{2}-\d{2}$/);
    assert.deepEqual(written.config.sensors, before.config.sensors, 'sensor maps unchanged');
    assert.deepEqual(written.config.commands, before.config.commands, 'command maps unchanged');
    const text = readFileSync(out, 'utf8');
    for (const comment of commentLines(zeroText))
      assert.ok(text.includes(comment), `comment lost in ${out}: ${comment}\n--- written:\n${text}`);
  });

  test('without --out the calibration file is rewritten in place, comments kept, and then reads the pose', async () => {
    const inPlace = join(dir, 'in-place.yaml');
    writeFileSync(inPlace, zeroText);
    const robotInPlace = join(dir, 'robot-in-place.yaml');
    writeFileSync(robotInPlace, robotYaml({ port: pair?.hostPath ?? '', calibration: inPlace }));

    const r = await mbrl([
      'calibrate',
      'zero',
      '--config',
      robotInPlace,
      '--samples',
      '50',
      '--timeout',
      '60',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(`wrote ${inPlace} (version 2,`), r.stdout);
    const written = Calibration.load(inPlace);
    for (const [joint, truth] of Object.entries(TRUTH))
      near(written.joint(joint).zero_offset, truth, TOLERANCE, `${joint} zero_offset`);
    const text = readFileSync(inPlace, 'utf8');
    for (const comment of commentLines(zeroText))
      assert.ok(text.includes(comment), `comment lost: ${comment}`);
    // Only the offsets, version and date changed: every other line is as it was.
    const changed = (line: string) => /zero_offset|^version:|^date:/.test(line);
    assert.deepEqual(
      text.split('\n').filter((l) => !changed(l)),
      zeroText.split('\n').filter((l) => !changed(l)),
    );

    // Calibrated, the driver reads the held pose itself: zeroing again changes (almost) nothing.
    const again = await mbrl([
      'calibrate',
      'zero',
      '--config',
      robotInPlace,
      '--samples',
      '20',
      '--dry-run',
      '--timeout',
      '60',
    ]);
    assert.equal(again.code, 0, again.stderr);
    const offsets = reportedOffsets(again.stdout);
    for (const joint of Object.keys(TRUTH))
      near(offsets[joint].after, offsets[joint].before, TOLERANCE, `${joint} offset after recalibrating`);
  });

  test('an explicit --pose is honoured: offsets shift by sign * pose', async () => {
    // Claiming the cart is held at +0.1 m moves its offset by -0.1; the hinge is left out.
    const r = await mbrl([
      'calibrate',
      'zero',
      '--config',
      robot,
      '--samples',
      '20',
      '--pose',
      'slider=0.1',
      '--dry-run',
      '--timeout',
      '60',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const offsets = reportedOffsets(r.stdout);
    assert.deepEqual(Object.keys(offsets), ['slider'], r.stdout);
    near(offsets.slider.after, TRUTH.slider - 0.1, TOLERANCE, 'slider zero_offset');
  });
});

describe('mbrl run against a virtual serial board', { skip }, () => {
  test('a random controller at 25 Hz logs transitions from calibrated frames', async (t) => {
    const dir = tempDir(t, 'mbrl-run-serial-');
    const pair = await SocatPtyPair.create();
    // The board with the package's calibration (its default), at rest at the start pose.
    const board = await startBoard(pair, ['--start-state', 'mean']).catch(async (err: unknown) => {
      await pair.close();
      throw err;
    });
    t.after(async () => {
      await board.stop();
      await pair.close();
    });
    const logDir = join(dir, 'logs');
    const robot = join(dir, 'robot.yaml');
    // No calibration entry: the robot's default, calibration/cartpole.yaml, as the board uses.
    writeFileSync(robot, robotYaml({ port: pair.hostPath, logDir }));

    const r = await mbrl(['run', '--config', robot, '--seconds', '3', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as {
      transitions: number;
      logDir: string;
      drivers: { name: string; kind: string; stats: { framesOk: number; badFrames: number } }[];
    };
    assert.ok(summary.transitions > 30, `transitions ${summary.transitions}`);
    assert.equal(summary.logDir, logDir);
    assert.equal(summary.drivers.length, 1);
    assert.equal(summary.drivers[0].kind, 'serial');
    assert.ok(summary.drivers[0].stats.framesOk > 100, `framesOk ${summary.drivers[0].stats.framesOk}`);
    assert.equal(summary.drivers[0].stats.badFrames, 0);

    const info = await mbrl(['log', 'info', logDir, '--json']);
    assert.equal(info.code, 0, info.stderr);
    const log = JSON.parse(info.stdout) as {
      transitions: number;
      task: { name: string };
      sources: Record<string, number>;
    };
    assert.equal(log.task.name, 'cartpole-swingup');
    assert.equal(log.transitions, summary.transitions, 'every transition was flushed');
    assert.ok(log.sources.random > 30, `sources ${JSON.stringify(log.sources)}`);
    assert.equal(log.sources.random + log.sources.safe, log.transitions, JSON.stringify(log.sources));
    assert.equal(log.sources.mpc, 0);
    assert.equal(log.sources.teleop, 0);

    const { records } = await readTransitionLog(logDir);
    assert.equal(records.length, summary.transitions);
    for (const rec of records) {
      assert.ok([...rec.state, ...rec.nextState].every(Number.isFinite), 'finite states');
      assert.ok(rec.action[0] >= -1 && rec.action[0] <= 1, `action ${rec.action[0]}`);
    }
    // Through the board's raw ticks and back: the first state is the rest pose in SI.
    const [cart, pole] = records[0].state;
    near(cart, 0, 0.05, 'cart position at the start');
    near(Math.abs(pole), Math.PI, 0.1, '|pole angle| at the start');
    const actions = new Set(records.filter((rec) => rec.source === 'random').map((rec) => rec.action[0]));
    assert.ok(actions.size > 10, 'random actions vary');
  });
});

describe('mbrl calibrate zero without a board', { skip }, () => {
  test('no samples arriving is a clear error, not an internal one', async (t) => {
    const dir = tempDir(t, 'mbrl-calibrate-noboard-');
    const pair = await SocatPtyPair.create();
    t.after(() => pair.close());
    const robot = join(dir, 'robot.yaml');
    const calibration = join(dir, 'cartpole.yaml');
    writeFileSync(calibration, calibrationWithOffsets({ slider: 0, hinge: 0 }));
    writeFileSync(robot, robotYaml({ port: pair.hostPath, calibration }));
    const r = await mbrl(['calibrate', 'zero', '--config', robot, '--samples', '20', '--timeout', '0.5']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /cartpole-serial: got 0 of 20 samples/);
    assert.doesNotMatch(r.stderr, /internal error/, r.stderr);
    assert.doesNotMatch(r.stderr, STACK, 'no stack trace for a board that is not sending');
  });
});

describe('config mistakes stop hardware commands with exit code 2 naming the file', () => {
  test('mbrl run: a missing calibration file', async (t) => {
    const dir = tempDir(t, 'mbrl-run-errors-');
    const missing = join(dir, 'calibration', 'nope.yaml');
    const logDir = join(dir, 'logs');
    const robot = join(dir, 'robot.yaml');
    writeFileSync(robot, robotYaml({ port: join(dir, 'no-port'), calibration: missing, logDir }));
    const r = await mbrl(['run', '--config', robot, '--seconds', '1']);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(missing), r.stderr);
    // Reported at the robot file's line that names it.
    assert.match(
      r.stderr,
      new RegExp(
        `^mbrl: ${robot.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: drivers\\[0\\]\\.calibration: no such calibration file`,
      ),
    );
    assert.doesNotMatch(r.stderr, STACK);
    assert.equal(existsSync(logDir), false, 'files are checked before the log is opened');
  });

  test('mbrl run: a device file whose commands do not cover the task action', async (t) => {
    const dir = tempDir(t, 'mbrl-run-errors-');
    const device = join(dir, 'pusher.yaml');
    const text = readFileSync(serialDevice, 'utf8');
    const edited = text
      .replace('action: cart_force', 'action: cart_push')
      .replace('{ cart_force: 0 }', '{ cart_push: 0 }');
    assert.notEqual(edited, text);
    writeFileSync(device, edited);
    const robot = join(dir, 'robot.yaml');
    writeFileSync(robot, robotYaml({ port: join(dir, 'no-port'), device, logDir: join(dir, 'logs') }));
    const r = await mbrl(['run', '--config', robot, '--seconds', '1']);
    assert.equal(r.code, 2, r.stderr);
    const line = edited.split('\n').findIndex((l) => l.startsWith('commands:')) + 1;
    assert.ok(r.stderr.includes(`${device}:${line}:1: commands: `), r.stderr);
    assert.match(
      r.stderr,
      /task "cartpole-swingup" has action "cart_force", which this device cannot command \(commands map: cart_push\)/,
    );
    assert.doesNotMatch(r.stderr, STACK);
  });

  test('mbrl run: a device file with a bad field reference', async (t) => {
    const dir = tempDir(t, 'mbrl-run-errors-');
    const device = join(root, 'test', 'fixtures', 'devices', 'bad-cross-refs.yaml');
    const robot = join(dir, 'robot.yaml');
    writeFileSync(robot, robotYaml({ port: join(dir, 'no-port'), device, logDir: join(dir, 'logs') }));
    const r = await mbrl(['run', '--config', robot, '--seconds', '1']);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(
      r.stderr.includes(`${device}:24:32: joints[0].position: unknown sensor field "cart_tick"`),
      r.stderr,
    );
  });

  test('mbrl device serial: a device file that does not exist', async (t) => {
    const dir = tempDir(t, 'mbrl-device-errors-');
    const missing = join(dir, 'no-such-board.yaml');
    const r = await mbrl([
      'device',
      'serial',
      '--port',
      join(dir, 'no-port'),
      '--device',
      missing,
      '--seconds',
      '1',
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(missing), r.stderr);
    assert.match(r.stderr, /cannot read file/);
    assert.doesNotMatch(r.stderr, STACK);

    // A name is looked up among the shipped devices, and the message says where.
    const byName = await mbrl([
      'device',
      'serial',
      '--port',
      join(dir, 'no-port'),
      '--device',
      'no-such-board',
      '--seconds',
      '1',
    ]);
    assert.equal(byName.code, 2, byName.stderr);
    assert.ok(byName.stderr.includes(join(hardwareDir(), 'devices', 'no-such-board.yaml')), byName.stderr);
  });

  test('mbrl device serial: an MQTT device file is refused', async (t) => {
    const dir = tempDir(t, 'mbrl-device-errors-');
    const r = await mbrl([
      'device',
      'serial',
      '--port',
      join(dir, 'no-port'),
      '--device',
      'cartpole-mqtt',
      '--seconds',
      '1',
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cartpole-mqtt\.yaml: not a serial device/);
  });

  test('mbrl calibrate zero: a robot with only the simulator has nothing to calibrate', async (t) => {
    const dir = tempDir(t, 'mbrl-calibrate-errors-');
    const robot = join(dir, 'robot.yaml');
    writeFileSync(
      robot,
      'robot: cartpole\ntask: cartpole-swingup\ncontroller: { type: random }\ndrivers: [{ type: sim, mode: realtime }]\n',
    );
    const r = await mbrl(['calibrate', 'zero', '--config', robot]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes(`${robot}: no serial or MQTT drivers to calibrate`), r.stderr);
  });
});
