/**
 * Picks the TensorFlow.js backend for this process: the fastest one that loads (native GPU,
 * native CPU, wasm, plain JS cpu), or the one the caller or MBRL_TF_BACKEND asks for. tfjs is a
 * process-global singleton, so this module is the one place that switches it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type BackendPreference = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** What tf.getBackend() reports after initialization ('tensorflow', 'wasm' or 'cpu'). */
  name: string;
  /** The effective preference (MBRL_TF_BACKEND wins over the option). */
  preference: BackendPreference;
  /** Backends tried before `name` and why each was passed over, in order. */
  tried: { backend: string; error: string }[];
}

export interface TfBackendOptions {
  preference?: BackendPreference;
  log?: (line: string) => void;
}

const BACKEND_ENV_VAR = 'MBRL_TF_BACKEND';

const PREFERENCES: readonly BackendPreference[] = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

type Candidate = Exclude<BackendPreference, 'auto'>;

const AUTO_ORDER: readonly Candidate[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** The npm packages that provide the native 'tensorflow' backend. */
const NATIVE_PACKAGES: Record<'tensorflow-gpu' | 'tensorflow', string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

/** Why one candidate could not be used; `detail` is the longer text for an explicit preference. */
class CandidateFailure extends Error {
  constructor(
    readonly summary: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

let current: { preference: BackendPreference; info: BackendInfo } | undefined;
// Calls are serialized so two overlapping initializations never interleave tf.setBackend.
let queue: Promise<unknown> = Promise.resolve();

export function initTfBackend(options: TfBackendOptions = {}): Promise<BackendInfo> {
  const run = queue.then(() => initSerialized(options));
  queue = run.catch(() => undefined);
  return run;
}

async function initSerialized(options: TfBackendOptions): Promise<BackendInfo> {
  const fromEnv = preferenceFromEnv();
  const preference = fromEnv ?? options.preference ?? 'auto';
  if (!PREFERENCES.includes(preference)) {
    throw new Error(
      `initTfBackend: preference must be one of ${PREFERENCES.join(', ')}; got ${show(preference)}`,
    );
  }
  // Someone may have called tf.setBackend directly since; then the memo no longer describes tfjs.
  if (current && current.preference === preference && tf.getBackend() === current.info.name) {
    return current.info;
  }

  const tried: BackendInfo['tried'] = [];
  const candidates = preference === 'auto' ? AUTO_ORDER : [preference];
  for (const candidate of candidates) {
    try {
      await activate(candidate);
    } catch (err) {
      const failure =
        err instanceof CandidateFailure ? err : new CandidateFailure(errorText(err), errorText(err));
      if (preference !== 'auto') {
        const source = fromEnv ? ` (from ${BACKEND_ENV_VAR})` : '';
        throw new Error(`tfjs backend '${candidate}'${source} is unavailable: ${failure.detail}`, {
          cause: err,
        });
      }
      tried.push({ backend: candidate, error: failure.summary });
      continue;
    }
    const info: BackendInfo = { name: tf.getBackend(), preference, tried };
    current = { preference, info };
    const notes = [
      ...(fromEnv ? [`${BACKEND_ENV_VAR}=${fromEnv}`] : []),
      ...tried.map((t) => `${t.backend}: ${t.error}`),
    ];
    const line = `tfjs backend: ${info.name}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
    (options.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
    return info;
  }
  // Only reachable if even the pure-JS cpu backend failed, which tfjs always registers.
  throw new Error(
    `no tfjs backend could be initialized: ${tried.map((t) => `${t.backend}: ${t.error}`).join('; ')}`,
  );
}

/** The preference from MBRL_TF_BACKEND; undefined when unset or blank. */
function preferenceFromEnv(): BackendPreference | undefined {
  const raw = process.env[BACKEND_ENV_VAR];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = raw.trim();
  const match = PREFERENCES.find((p) => p === value);
  if (match === undefined) {
    throw new Error(
      `environment variable ${BACKEND_ENV_VAR}=${JSON.stringify(raw)} is not a tfjs backend preference; ` +
        `expected one of: ${PREFERENCES.join(', ')}`,
    );
  }
  return match;
}

async function activate(candidate: Candidate): Promise<void> {
  switch (candidate) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      await loadNative(NATIVE_PACKAGES[candidate]);
      return setBackend('tensorflow');
    case 'wasm':
      setWasmPaths(wasmDir());
      return setBackend('wasm');
    case 'cpu':
      await setBackend('cpu');
      silenceCpuBanner();
      return;
  }
}

async function loadNative(pkg: string): Promise<void> {
  // A variable specifier keeps TypeScript from needing the optional package's types.
  const specifier: string = pkg;
  try {
    await import(specifier);
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' && errorText(err).includes(`'${pkg}'`)) {
      throw new CandidateFailure(
        'not installed',
        `${pkg} is not installed: npm install ${pkg} (needs libtensorflow, downloaded at install)`,
      );
    }
    const reason = firstLine(errorText(err));
    throw new CandidateFailure(`failed to load: ${reason}`, `${pkg} failed to load: ${reason}`);
  }
  // A native package built against another tfjs-core copy registers its backend there, not here.
  // findBackendFactory is typed non-null but returns null for an unknown name.
  if (!(tf.findBackendFactory('tensorflow') as unknown)) {
    const reason = `${pkg} loaded but registered no 'tensorflow' backend with this @tensorflow/tfjs (version ${tf.version.tfjs}); install a matching version`;
    throw new CandidateFailure(reason, reason);
  }
}

async function setBackend(name: string): Promise<void> {
  // tfjs reports a failed initialization by returning false and printing the cause itself.
  const ok = await tf.setBackend(name);
  if (!ok) {
    throw new CandidateFailure(
      `initialization failed (see tfjs warning above)`,
      `tf.setBackend('${name}') failed; tfjs printed the cause above ("Initialization of backend ${name} failed")`,
    );
  }
  await tf.ready();
}

/** Absolute directory of the wasm binaries, with the trailing slash setWasmPaths expects. */
function wasmDir(): string {
  const require = createRequire(import.meta.url);
  let pkgJson: string;
  try {
    pkgJson = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  } catch (err) {
    throw new CandidateFailure(
      'not installed',
      `@tensorflow/tfjs-backend-wasm cannot be resolved: ${errorText(err)}`,
    );
  }
  const dir = path.join(path.dirname(pkgJson), 'dist') + path.sep;
  if (!existsSync(path.join(dir, 'tfjs-backend-wasm.wasm'))) {
    throw new CandidateFailure(`binaries missing in ${dir}`, `tfjs-backend-wasm.wasm not found in ${dir}`);
  }
  return dir;
}

/**
 * The cpu backend prints a "Hi, looks like you are running TensorFlow.js in Node.js" banner on
 * its first tensor write, recommending tfjs-node, which our log line already covers. Do that first
 * write here with tfjs logging muted (PROD only gates log output), then restore the flag.
 */
function silenceCpuBanner(): void {
  const env = tf.env();
  const prod = env.getBool('PROD');
  env.set('PROD', true);
  try {
    tf.scalar(0).dispose();
  } finally {
    env.set('PROD', prod);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
