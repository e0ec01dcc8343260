/**
 * A pair of connected pseudo-terminals made by socat, as a stand-in for a USB serial cable:
 * the driver opens one end with the real serialport package and a virtual device the other.
 * The ends are stable symlinks in a temp dir, so a test can "unplug" the cable (stop socat:
 * both ends vanish) and "plug it back" (start socat again: same paths, new ptys).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function socatAvailable(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
}

export class SocatPtyPair {
  /** The end the driver opens. */
  readonly hostPath: string;
  /** The end the (virtual) device opens. */
  readonly devicePath: string;
  private child: ChildProcess | null = null;

  private constructor(private readonly dir: string) {
    this.hostPath = join(dir, 'host');
    this.devicePath = join(dir, 'device');
  }

  /** Starts socat and waits until both ends exist. */
  static async create(): Promise<SocatPtyPair> {
    const pair = new SocatPtyPair(mkdtempSync(join(tmpdir(), 'mbrl-pty-')));
    await pair.plug();
    return pair;
  }

  get plugged(): boolean {
    return this.child !== null;
  }

  /** Starts socat (again); the ends reappear at the same paths. */
  async plug(): Promise<void> {
    if (this.child) return;
    const child = spawn(
      'socat',
      [`pty,raw,echo=0,link=${this.hostPath}`, `pty,raw,echo=0,link=${this.devicePath}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    this.child = child;
    const deadline = Date.now() + 5000;
    while (!(existsSync(this.hostPath) && existsSync(this.devicePath))) {
      if (child.exitCode !== null) throw new Error(`socat exited with ${child.exitCode}: ${stderr.trim()}`);
      if (Date.now() > deadline)
        throw new Error(`socat did not create ${this.hostPath} within 5 s: ${stderr.trim()}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Stops socat: both ends disappear, as when a USB adapter is pulled. */
  async unplug(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
    // socat removes its links on exit; make sure a stale link never fakes a replug.
    rmSync(this.hostPath, { force: true });
    rmSync(this.devicePath, { force: true });
  }

  async close(): Promise<void> {
    await this.unplug();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Why serial tests must be skipped here (socat missing), or undefined when they can run.
 * With MBRL_REQUIRE_HARDWARE_TESTS=1 (set by .ci/run) a missing socat is an error instead:
 * CI must run these tests, not skip them.
 */
export function serialTestSkipReason(): string | undefined {
  if (socatAvailable()) return undefined;
  const reason = 'socat is not installed (apt-get install socat): serial tests over pty pairs skipped';
  if (process.env.MBRL_REQUIRE_HARDWARE_TESTS === '1')
    throw new Error(`MBRL_REQUIRE_HARDWARE_TESTS=1 but ${reason}`);
  return reason;
}
