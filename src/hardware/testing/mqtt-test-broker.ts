/**
 * An MQTT broker for tests on a free localhost port: mosquitto when it is installed (what
 * boards meet in the field, and what CI installs), otherwise an in-process aedes broker.
 * `MBRL_TEST_BROKER=aedes|mosquitto` forces one; with `CI` set, a missing mosquitto is an
 * error rather than a silent fallback. `restart()` brings the broker back on the same port,
 * with no retained messages or sessions (persistence off), as after a broker reboot.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type TestBrokerKind = 'mosquitto' | 'aedes';

export interface TestBroker {
  /** mqtt://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly kind: TestBrokerKind;
  /**
   * Stops the broker and starts it again on the same port (clients see the connection drop);
   * `whileDown` runs in between, for tests that check what happens during the outage.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

export interface StartTestBrokerOptions {
  /** Overrides MBRL_TEST_BROKER and the mosquitto-if-installed default. */
  kind?: TestBrokerKind;
  /** Where the choice is announced; default console.log (so test output says which broker ran). */
  log?: (message: string) => void;
  env?: NodeJS.ProcessEnv;
}

const SEARCH_DIRS = ['/usr/sbin', '/usr/local/sbin', '/opt/homebrew/sbin'];

/** The mosquitto executable on PATH or in the usual sbin directories, or null. */
export function findMosquitto(env: NodeJS.ProcessEnv = process.env): string | null {
  const dirs = [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SEARCH_DIRS];
  for (const dir of dirs) {
    const file = path.join(dir, 'mosquitto');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not in this directory; keep looking.
    }
  }
  return null;
}

export async function startTestBroker(options: StartTestBrokerOptions = {}): Promise<TestBroker> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((m: string) => console.log(m));
  const forced = options.kind ?? parseKind(env.MBRL_TEST_BROKER);
  const mosquitto = forced === 'aedes' ? null : findMosquitto(env);
  if (forced === 'mosquitto' && !mosquitto)
    throw new Error('MBRL_TEST_BROKER=mosquitto but no mosquitto executable found');
  if (!mosquitto && forced !== 'aedes' && env.CI)
    throw new Error('mosquitto is required in CI (install it, or set MBRL_TEST_BROKER=aedes to use aedes)');
  const port = await freePort();
  const broker = mosquitto ? new MosquittoBroker(mosquitto, port) : new AedesBroker(port);
  await broker.start();
  log(`MQTT test broker: ${broker.describe()} at ${broker.url}`);
  return broker;
}

function parseKind(value: string | undefined): TestBrokerKind | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'aedes' || value === 'mosquitto') return value;
  throw new Error(`MBRL_TEST_BROKER must be "aedes" or "mosquitto", got ${JSON.stringify(value)}`);
}

/** A port the OS just handed out; another process could take it first, which start() then reports. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not get a free port');
  return address.port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class MosquittoBroker implements TestBroker {
  readonly kind = 'mosquitto' as const;
  readonly url: string;
  private readonly dir: string;
  private readonly configFile: string;
  private child: ChildProcess | null = null;
  private stderr = '';

  constructor(
    private readonly executable: string,
    readonly port: number,
  ) {
    this.url = `mqtt://127.0.0.1:${port}`;
    this.dir = mkdtempSync(path.join(tmpdir(), 'mbrl-mosquitto-'));
    this.configFile = path.join(this.dir, 'mosquitto.conf');
    writeFileSync(
      this.configFile,
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence false',
        // As a robot's broker should be configured: no Nagle delay on small messages.
        'set_tcp_nodelay true',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        '',
      ].join('\n'),
    );
  }

  describe(): string {
    const version = spawnSync(this.executable, ['-h'], { encoding: 'utf8' }).stdout.match(
      /version (\S+)/,
    )?.[1];
    return `${version ? `mosquitto ${version}` : 'mosquitto'} (${this.executable})`;
  }

  async start(): Promise<void> {
    if (this.child) return;
    this.stderr = '';
    const child = spawn(this.executable, ['-c', this.configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null || child.signalCode !== null) {
        this.child = null;
        throw new Error(`mosquitto exited (${child.exitCode ?? child.signalCode}): ${this.stderr.trim()}`);
      }
      if (Date.now() > deadline) {
        await this.halt();
        throw new Error(
          `mosquitto did not accept connections on port ${this.port} within 10 s: ${this.stderr.trim()}`,
        );
      }
      await sleep(20);
    }
  }

  async restart(whileDown?: () => Promise<void>): Promise<void> {
    await this.halt();
    await whileDown?.();
    await this.start();
  }

  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async halt(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    // mosquitto exits at once on SIGTERM; the kill is for a wedged broker, not the usual path.
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

interface AedesInstance {
  handle: (socket: net.Socket) => unknown;
  close(callback?: () => void): void;
}

class AedesBroker implements TestBroker {
  readonly kind = 'aedes' as const;
  readonly url: string;
  private broker: AedesInstance | null = null;
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();

  constructor(readonly port: number) {
    this.url = `mqtt://127.0.0.1:${port}`;
  }

  describe(): string {
    return 'aedes (in-process)';
  }

  async start(): Promise<void> {
    if (this.server) return;
    const { Aedes } = await import('aedes');
    const broker: AedesInstance = await Aedes.createBroker();
    const server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      broker.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.broker = broker;
    this.server = server;
  }

  async restart(whileDown?: () => Promise<void>): Promise<void> {
    await this.stop();
    await whileDown?.();
    await this.start();
  }

  async stop(): Promise<void> {
    const { server, broker } = this;
    this.server = null;
    this.broker = null;
    if (!server || !broker) return;
    // server.close() waits for open connections; drop them as a dying broker would.
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  }
}
