/**
 * Config files with every field wrong in turn. From a valid robot config (serial driver,
 * PETS, teleop keyboard and joystick), a valid device file and a valid calibration file, one
 * variant per leaf field and kind of mistake is generated (wrong type, out of range or
 * non-finite, an unknown value), plus an unknown extra key in every mapping and each key
 * removed in turn. Every variant is loaded through what `mbrl config validate` runs; a
 * rejected one must name the file, the field path and the line, and a wrong type or an
 * unknown key must be rejected at exactly that field. A sample goes through the real
 * `mbrl config validate` and `mbrl run --seconds 1` processes: exit code 2, the same one-line
 * error, no log directory, the serial port never opened, and the process gone.
 */
import { execFile } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { parseDocument, type Document } from 'yaml';
import { ConfigError, formatPath } from '../../src/config/config-error.js';
import { packageRoot } from '../../src/config/package-paths.js';
import { loadRobotConfig } from '../../src/config/robot-loader.js';
import { loadTask } from '../../src/config/task-loader.js';
import { SocatPtyPair, serialTestSkipReason } from '../../src/hardware/testing/socat-pty-pair.js';
import { robotPlannerProfile } from '../../src/planning/robot-planner-profile.js';
import { isHardwareDriver, loadDriverFiles } from '../../src/robot/driver-files.js';

const root = packageRoot();
// The CLI of the same build as this test (dist/, or another outDir).
const cli = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');
const serialSkip = serialTestSkipReason();
if (serialSkip) console.log(`# skipped: ${serialSkip}`);

type Path = (string | number)[];
type FileKind = 'robot' | 'device' | 'calibration';

/** A valid robot config touching every section (paths are filled in per directory). */
function baseRobot(dir: string, port: string): string {
  return `robot: cartpole
task: cartpole-swingup
topics:
  joint_states: joint_states
  command: command
  estop: estop
  mode: mode
  diagnostics: /diagnostics
control:
  rate_hz: 25
  stale_timeout_s: 0.1
  safe_action: zero
  clock: wall
  limits:
    cart_force: { min: -1, max: 1, rate_limit_per_s: 50 }
controller:
  type: pets
  profile: realtime
  optimizer: icem
  horizon: 25
  population: 80
  iterations: 3
  elites: 8
  particles: 5
  propagation: tsinf
  objective: expected
  risk_k: 1
model:
  members: 5
  elites: 5
  hidden_layers: 2
  hidden_units: 64
  activation: swish
  learning_rate: 0.001
  weight_decay: 0.00001
  batch_size: 32
  epochs: 30
  holdout_ratio: 0.1
  backend: auto
logger:
  dir: ${JSON.stringify(join(dir, 'logs'))}
  flush_interval_s: 1
  rotate_bytes: 1000000
  refit_every_transitions: 400
  refit_every_s: 0
drivers:
  - type: serial
    device: device.yaml
    calibration: calibration.yaml
    port: ${JSON.stringify(port)}
teleop:
  rate_hz: 20
  timeout_s: 0.5
  keyboard:
    keys:
      - { key: a, action: cart_force, delta: -0.1 }
      - { key: d, action: cart_force, delta: 0.1 }
    zero_key: " "
    estop_key: e
    release_key: r
    mode_keys: { t: teleop, m: mpc }
  joy:
    topic: joy
    axes:
      - { axis: 0, action: cart_force, scale: 1, deadzone: 0.05 }
    deadman_button: 4
    estop_button: 0
    release_button: 1
`;
}

/** One generated mistake. `strict`: it must be rejected, at exactly `path`. */
interface Variant {
  kind: FileKind;
  what: string;
  path: Path;
  text: string;
  strict: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every scalar leaf and every mapping (with its keys) of a parsed document, with their paths. */
function walk(value: unknown, path: Path, leaves: Path[], maps: { path: Path; keys: string[] }[]): void {
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i], leaves, maps));
  else if (isRecord(value)) {
    maps.push({ path, keys: Object.keys(value) });
    for (const [k, v] of Object.entries(value)) walk(v, [...path, k], leaves, maps);
  } else leaves.push(path);
}

function variants(kind: FileKind, text: string): Variant[] {
  const doc = parseDocument(text);
  const leaves: Path[] = [];
  const maps: { path: Path; keys: string[] }[] = [];
  walk(doc.toJS(), [], leaves, maps);
  const out: Variant[] = [];
  const edit = (what: string, path: Path, strict: boolean, change: (d: Document) => void) => {
    const copy = doc.clone();
    change(copy);
    out.push({ kind, what, path, strict, text: String(copy) });
  };
  for (const path of leaves) {
    const value: unknown = doc.getIn(path);
    const set = (v: unknown) => (d: Document) => d.setIn(path, v);
    if (typeof value === 'number') {
      edit('a string for a number', path, true, set('not-a-number'));
      edit('non-finite (.inf)', path, true, set(Infinity));
      edit('negative', path, false, set(-1));
      edit('not an integer', path, false, set(0.5));
      edit('huge', path, false, set(1e12));
    } else if (typeof value === 'string') {
      edit('a number for a string', path, true, set(12345));
      edit('an unknown value', path, false, set('bogus_value_42'));
      edit('empty', path, false, set(''));
    } else if (typeof value === 'boolean') {
      edit('a string for a boolean', path, true, set('not-a-boolean'));
    }
  }
  for (const { path, keys } of maps) {
    edit('an unknown extra key', [...path, 'bogus_key'], true, (d) => d.setIn([...path, 'bogus_key'], 1));
    for (const key of keys) edit('a key removed', [...path, key], false, (d) => d.deleteIn([...path, key]));
  }
  return out;
}

/** What `mbrl config validate` checks, through the same functions. */
function validate(robotFile: string): void {
  const robot = loadRobotConfig(robotFile);
  const { task } = loadTask(robot.task);
  robot.drivers.forEach((driver, index) => {
    if (isHardwareDriver(driver)) loadDriverFiles(driver, index, task);
  });
  if (robot.controller.type === 'pets') robotPlannerProfile(task.name, robot.controller);
}

interface Files {
  dir: string;
  robot: string;
  device: string;
  calibration: string;
  text: Record<FileKind, string>;
}

function setUp(t: TestContext, port = '/dev/null-mbrl-test-port'): Files {
  const dir = mkdtempSync(join(tmpdir(), 'config-faults-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const files = {
    dir,
    robot: join(dir, 'robot.yaml'),
    device: join(dir, 'device.yaml'),
    calibration: join(dir, 'calibration.yaml'),
  };
  copyFileSync(join(root, 'hardware/devices/cartpole-serial.yaml'), files.device);
  copyFileSync(join(root, 'calibration/cartpole.yaml'), files.calibration);
  writeFileSync(files.robot, baseRobot(dir, port));
  const text = {
    robot: readFileSync(files.robot, 'utf8'),
    device: readFileSync(files.device, 'utf8'),
    calibration: readFileSync(files.calibration, 'utf8'),
  };
  return { ...files, text };
}

/** Writes the variant over its file (the others stay valid); restore() puts the original back. */
function apply(files: Files, v: Variant): { file: string; restore: () => void } {
  const file = files[v.kind];
  writeFileSync(file, v.text);
  return { file, restore: () => writeFileSync(file, files.text[v.kind]) };
}

/**
 * What is wrong with how a variant was reported, or null. A rejection must be a ConfigError
 * naming `file`, with every issue located (line and column); a strict variant must be
 * rejected with an issue at exactly its path.
 */
function reportProblem(v: Variant, file: string, error: unknown): string | null {
  if (error === undefined) return v.strict ? 'accepted' : null;
  if (!(error instanceof ConfigError))
    return `not a ConfigError: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  if (error.file !== file) return `names ${error.file}, not ${file}: ${error.message}`;
  const lines = error.message.split('\n');
  for (const [i, issue] of error.issues.entries()) {
    // A removed key is located at its parent mapping, so every issue has a line.
    if (issue.line === undefined) return `no line for ${formatPath(issue.path)}: ${lines[i]}`;
    if (!lines[i].startsWith(`${file}:`)) return `issue line does not start with the file: ${lines[i]}`;
  }
  if (v.strict) {
    const want = formatPath(v.path);
    const at = error.issues.find((i) => formatPath(i.path) === want);
    if (!at) return `no issue at ${want}: ${error.message}`;
    if (!error.message.includes(`${file}:${at.line}:${at.column}: ${want}: `))
      return `issue at ${want} is not formatted file:line:column: field: ${error.message}`;
  }
  return null;
}

function sweep(t: TestContext, kind: FileKind): void {
  const files = setUp(t);
  validate(files.robot); // the base files are valid
  const all = variants(kind, files.text[kind]);
  const problems: string[] = [];
  let rejected = 0;
  for (const v of all) {
    const { file, restore } = apply(files, v);
    let error: unknown;
    try {
      validate(files.robot);
    } catch (e) {
      error = e;
      rejected++;
    } finally {
      restore();
    }
    // Accepted variants are legal values or optional keys; MBRL_SHOW_ACCEPTED=1 lists them for review.
    if (process.env.MBRL_SHOW_ACCEPTED && error === undefined)
      t.diagnostic(`accepted ${formatPath(v.path)} (${v.what})`);
    const problem = reportProblem(v, file, error);
    if (problem) problems.push(`${formatPath(v.path)} (${v.what}): ${problem}`);
  }
  t.diagnostic(`${kind}: ${all.length} variants, ${rejected} rejected, ${problems.length} badly reported`);
  assert.ok(all.length > 50, `${all.length} variants`);
  assert.deepEqual(problems.slice(0, 25), [], `${problems.length} variants reported badly`);
}

test('robot config: every field wrong in turn is reported at its file, line and field', (t) =>
  sweep(t, 'robot'));
test('device file: every field wrong in turn is reported at its file, line and field', (t) =>
  sweep(t, 'device'));
test('calibration file: every field wrong in turn is reported at its file, line and field', (t) =>
  sweep(t, 'calibration'));

interface CliResult {
  code: number | null;
  stderr: string;
  stdout: string;
}

function mbrl(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

test(
  'mbrl config validate and mbrl run: exit 2 with the file, line and field; nothing started half-configured',
  { skip: serialSkip },
  async (t) => {
    // The robot's serial port is a real pty: whatever opened it would leave a trace there.
    const pair = await SocatPtyPair.create();
    t.after(() => pair.close());
    const board = new SerialPort({ path: pair.devicePath, baudRate: 115200 });
    t.after(() => new Promise<void>((resolve) => (board.isOpen ? board.close(() => resolve()) : resolve())));
    let boardBytes = 0;
    board.on('data', (chunk: Buffer) => (boardBytes += chunk.length));
    await new Promise<void>((resolve, reject) => board.once('open', resolve).once('error', reject));
    const files = setUp(t, pair.hostPath);
    const pick = (kind: FileKind, path: string, what: string) => {
      const v = variants(kind, files.text[kind]).find((x) => formatPath(x.path) === path && x.what === what);
      assert.ok(v, `variant ${kind} ${path} ${what}`);
      return v;
    };
    const sample = [
      pick('robot', 'control.rate_hz', 'a string for a number'),
      pick('robot', 'controller.profile', 'an unknown value'),
      pick('robot', 'drivers[0].bogus_key', 'an unknown extra key'),
      pick('device', 'framing.crc', 'an unknown value'),
      pick('device', 'sensor_frame.fields[1].type', 'a number for a string'),
      pick('calibration', 'sensors.pole_ticks.scale', 'non-finite (.inf)'),
      pick('calibration', 'commands.pwm', 'a key removed'),
    ];
    for (const v of sample) {
      const { file, restore } = apply(files, v);
      try {
        for (const args of [
          ['config', 'validate', files.robot],
          ['run', '--config', files.robot, '--seconds', '1'],
        ]) {
          const r = await mbrl(args);
          const where = `${args.slice(0, 2).join(' ')} with ${v.kind} ${formatPath(v.path)} (${v.what})`;
          assert.equal(r.code, 2, `${where}: exit ${r.code}\n${r.stderr}`);
          assert.match(
            r.stderr,
            new RegExp(`^mbrl: ${escape(file)}:\\d+:\\d+: \\S+: .+`),
            `${where}: stderr names the file, line and field`,
          );
          assert.ok(!r.stderr.includes('internal error'), `${where}: ${r.stderr}`);
          assert.equal(r.stdout, '', `${where}: nothing printed as a result`);
          assert.equal(existsSync(join(files.dir, 'logs')), false, `${where}: no log directory`);
        }
      } finally {
        restore();
      }
    }
    // Nothing ever opened the robot's port: no safe command reached the board, and the port
    // is free to open (no lock left behind).
    assert.equal(boardBytes, 0, 'bytes on the board end of the robot port');
    const host = new SerialPort({ path: pair.hostPath, baudRate: 115200, lock: true, autoOpen: false });
    await new Promise<void>((resolve, reject) => host.open((err) => (err ? reject(err) : resolve())));
    await new Promise<void>((resolve) => host.close(() => resolve()));
  },
);

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('mbrl run: PETS overrides that do not fit the planner profile stop the run before the log exists', async (t) => {
  const files = setUp(t);
  // Valid on its own; only the realtime profile's population (80) makes 100 elites wrong.
  const text = files.text.robot.replace('  population: 80\n', '').replace('elites: 8\n', 'elites: 100\n');
  writeFileSync(files.robot, text);
  const r = await mbrl(['run', '--config', files.robot, '--seconds', '1']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`^mbrl: ${escape(files.robot)}:\\d+:\\d+: controller\\.elites: `));
  assert.equal(existsSync(join(files.dir, 'logs')), false, 'no log directory');
});
