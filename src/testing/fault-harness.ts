/**
 * Shared parts of the process-kill and disk-full fault tests: the compiled `mbrl` CLI as a child
 * process with its output collected, the status line `mbrl run` prints, robot configs written to
 * temp files, a small tmpfs to fill, and checks on a log's transition sequence.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../config/package-paths.js';
import type { LoggedTransition } from '../datalog/transition-record.js';
import { waitFor } from '../hardware/testing/wait-for.js';

/** The CLI compiled next to this test, so the suite runs from any outDir (dist/, .build-*). */
export const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** A running `mbrl` child with its output collected; `stop()` is safe to call at any time. */
export class MbrlProcess {
  static readonly live = new Set<MbrlProcess>();
  readonly child: ChildProcess;
  readonly pid: number;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly args: string[]) {
    this.child = spawn(process.execPath, [CLI, ...args], {
      cwd: packageRoot(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (this.child.pid === undefined) throw new Error(`could not start mbrl ${args.join(' ')}`);
    this.pid = this.child.pid;
    this.child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    // 'close' (not 'exit') so the output is complete when it resolves.
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => resolve({ code, signal })),
    );
    MbrlProcess.live.add(this);
    void this.exited.then(() => MbrlProcess.live.delete(this));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Every status line `mbrl run` printed so far, parsed. */
  statuses(): RunStatus[] {
    return this.stderr
      .split('\n')
      .map(parseRunStatus)
      .filter((s): s is RunStatus => s !== undefined);
  }

  lastStatus(): RunStatus | undefined {
    return this.statuses().at(-1);
  }

  /** Waits for a status line meeting `condition` (failing early, with the output, if the process ends). */
  async waitForStatus(
    condition: (s: RunStatus) => boolean,
    what: string,
    timeoutMs = 30_000,
  ): Promise<RunStatus> {
    let found: RunStatus | undefined;
    await waitFor(
      () => {
        if (!this.running) throw new Error(`mbrl exited while waiting for ${what}:\n${this.stderr}`);
        found = this.statuses().find(condition);
        return found !== undefined;
      },
      `${what} (stderr so far:\n${this.stderr.slice(-2000)})`,
      timeoutMs,
      20,
    );
    return found as RunStatus;
  }

  async kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** SIGTERM (the commands shut down cleanly on it), SIGKILL if that does not end it. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }

  static async stopAll(): Promise<void> {
    await Promise.all([...MbrlProcess.live].map((p) => p.stop()));
  }
}

/** One `mbrl run` status line (src/cli/run-command.ts). */
export interface RunStatus {
  line: string;
  mode: string;
  ticks: number;
  safeTicks: number;
  transitions: number;
  durable: number;
  queued: number;
  dropped: number;
  failing: string | undefined;
  modelVersion: number;
  refitting: boolean;
  /** Per hardware driver: up and good frames so far. */
  drivers: { name: string; up: boolean; framesOk: number }[];
}

const STATUS =
  /^mode (\S+).*?, ticks (\d+) \(safe (\d+)\), transitions (\d+) \(durable (\d+), queued (\d+)(?:, dropped (\d+))?(?:, LOG FAILING: (.*))?\), model v(\d+)( \(refitting\))?; (.*)$/;

export function parseRunStatus(line: string): RunStatus | undefined {
  const m = STATUS.exec(line);
  if (!m) return undefined;
  const drivers = [...m[11].matchAll(/(\S+) (up|DOWN) ok (\d+)/g)].map((d) => ({
    name: d[1],
    up: d[2] === 'up',
    framesOk: Number(d[3]),
  }));
  return {
    line,
    mode: m[1],
    ticks: Number(m[2]),
    safeTicks: Number(m[3]),
    transitions: Number(m[4]),
    durable: Number(m[5]),
    queued: Number(m[6]),
    dropped: Number(m[7] ?? 0),
    failing: m[8],
    modelVersion: Number(m[9]),
    refitting: m[10] !== undefined,
    drivers,
  };
}

/** Writes a robot config (YAML lines) to `<dir>/<name>` and returns its path. */
export function writeRobotConfig(dir: string, name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** The embedded MuJoCo cart-pole in real time, as in hardware/robots/cartpole-realtime.yaml. */
export const SIM_DRIVER = ['drivers:', '  - { type: sim, mode: realtime, sensor_rate_hz: 100 }'];

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * Checks that `records` (one run's file, in order) are one unbroken sequence: a single episode,
 * steps rising by exactly one (no gap, no duplicate) and stamps strictly rising. Returns a
 * description of the first problem, or undefined.
 */
export function sequenceProblem(records: readonly LoggedTransition[]): string | undefined {
  for (let i = 1; i < records.length; i++) {
    const a = records[i - 1];
    const b = records[i];
    if (b.episode !== a.episode) return `record ${i}: episode ${a.episode} then ${b.episode}`;
    if (b.step !== a.step + 1) return `record ${i}: step ${a.step} then ${b.step}`;
    if (!(b.stamp > a.stamp)) return `record ${i}: stamp ${a.stamp} then ${b.stamp}`;
  }
  return undefined;
}

/** A tmpfs mounted for a test; `unmount()` is idempotent (call it from t.after). */
export interface Tmpfs {
  dir: string;
  remount(mode: 'ro' | 'rw'): void;
  unmount(): void;
}

/**
 * Mounts a tmpfs of `sizeBytes` on a new directory under `parent`. Needs root (CI and this
 * machine run as root); without it returns why the test is skipped, and with
 * MBRL_REQUIRE_HARDWARE_TESTS=1 throws instead (CI must run the test, not skip it).
 */
export function mountTmpfs(parent: string, sizeBytes: number): Tmpfs | string {
  const dir = join(parent, 'tmpfs');
  mkdirSync(dir, { recursive: true });
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir], {
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    const reason = `cannot mount a tmpfs (${(result.stderr || result.error?.message || `exit ${result.status}`).trim()}): disk-full tests need root`;
    if (process.env.MBRL_REQUIRE_HARDWARE_TESTS === '1')
      throw new Error(`MBRL_REQUIRE_HARDWARE_TESTS=1 but ${reason}`);
    return reason;
  }
  let mounted = true;
  return {
    dir,
    remount(mode) {
      run('mount', ['-o', `remount,${mode}`, dir]);
    },
    unmount() {
      if (!mounted) return;
      mounted = false;
      // Lazy, so a file a failed test left open cannot keep the mount (and the next run) stuck.
      run('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed: ${(result.stderr || String(result.error)).trim()}`);
}

/**
 * Fills the filesystem holding `dir` with one file until the disk reports ENOSPC; returns its
 * path. (tmpfs counts pages, so the writer's open file may still take up to a page more.)
 */
export function fillDisk(dir: string): string {
  const file = join(dir, 'filler.bin');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4096, 0x5a);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return file;
}
