/**
 * The on-disk model artifact: an immutable, versioned directory holding
 *   model.json       { format, formatVersion, spec, weightsManifest } (tfjs weights-manifest layout)
 *   weights.bin      the float32 tensors, little-endian, concatenated in manifest order
 *   normalizer.json  the caller's normalizer state
 *   card.json        the caller's model card plus weights_sha256 and created
 * Saves are atomic (temp sibling directory, fsync, rename); loads check every file and field, so a
 * damaged or foreign directory is an error naming the file and field, never a silently wrong model.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { lstat, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export interface NamedWeights {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface ModelArtifactContents {
  spec: Record<string, unknown>;
  weights: NamedWeights[];
  normalizer: Record<string, unknown>;
  card: Record<string, unknown>;
}

export type ArtifactCard = Record<string, unknown> & { weights_sha256: string; created: string };

export type LoadedModelArtifact = ModelArtifactContents & { card: ArtifactCard };

export class ModelArtifactError extends Error {
  override readonly name = 'ModelArtifactError';
  readonly dir: string;
  readonly file?: string;
  readonly field?: string;

  /** `message` is used as is; callers put the path, field and expectation in it. */
  constructor(message: string, where: { dir: string; file?: string; field?: string }) {
    super(message);
    this.dir = where.dir;
    if (where.file !== undefined) this.file = where.file;
    if (where.field !== undefined) this.field = where.field;
  }
}

const FORMAT = 'mbrl-ensemble';
const FORMAT_VERSION = 1;
const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';
const NORMALIZER_FILE = 'normalizer.json';
const CARD_FILE = 'card.json';
/** `<dir>.tmp-<pid>-<hex>`: a save in progress, or one interrupted by a crash. */
const TEMP_NAME = /\.tmp-\d+-[0-9a-f]+$/;
const VERSION_NAME = /^v(\d{4,})$/;
const BYTES_PER_FLOAT32 = 4;
// weights.bin is little-endian by the tfjs convention; only a big-endian host must swap.
const SWAP_BYTES = os.endianness() === 'BE';

function artifactError(dir: string, file: string | undefined, field: string | undefined, problem: string) {
  const where = file === undefined ? dir : path.join(dir, file);
  const message = field === undefined ? `${where}: ${problem}` : `${where}: ${field}: ${problem}`;
  return new ModelArtifactError(message, {
    dir,
    ...(file === undefined ? {} : { file }),
    ...(field === undefined ? {} : { field }),
  });
}

// ---------------------------------------------------------------------------------------------
// save

export async function saveModelArtifact(dir: string, contents: ModelArtifactContents): Promise<void> {
  const target = path.resolve(dir);
  if (TEMP_NAME.test(path.basename(target))) {
    throw artifactError(
      target,
      undefined,
      undefined,
      'a version directory must not be named like a temp directory',
    );
  }
  // Validate and serialize everything before touching the disk.
  const files = serialize(target, contents);

  await refuseExisting(target);
  const parent = path.dirname(target);
  const temp = `${target}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    await mkdir(parent, { recursive: true });
    await mkdir(temp);
  } catch (err) {
    throw artifactError(target, undefined, undefined, `could not create ${temp}: ${errorText(err)}`);
  }
  try {
    for (const [name, bytes] of files) await writeSynced(path.join(temp, name), bytes);
    await syncDir(temp);
    // rename(2) replaces an empty directory but fails on a non-empty one, so a competing save
    // that won the race after refuseExisting is still refused here.
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    const code = errorCode(err);
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw existsError(target);
    throw artifactError(target, undefined, undefined, `could not save: ${errorText(err)}`);
  }
  await syncDir(parent);
}

async function refuseExisting(target: string): Promise<void> {
  try {
    await lstat(target);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return;
    throw artifactError(target, undefined, undefined, `could not check the directory: ${errorText(err)}`);
  }
  throw existsError(target);
}

function existsError(target: string): ModelArtifactError {
  return artifactError(
    target,
    undefined,
    undefined,
    'already exists; model artifacts are immutable, save to a new version directory (see nextVersionDir)',
  );
}

async function writeSynced(file: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a directory's entries (new files, a rename) durable; Windows cannot open directories. */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function serialize(dir: string, contents: ModelArtifactContents): [string, Uint8Array][] {
  if (!isPlainObject(contents)) {
    throw artifactError(
      dir,
      undefined,
      undefined,
      `expected { spec, weights, normalizer, card }, got ${describe(contents)}`,
    );
  }
  const spec = checkJsonObject(dir, MODEL_FILE, 'spec', contents.spec);
  const normalizer = checkJsonObject(dir, NORMALIZER_FILE, undefined, contents.normalizer);
  const callerCard = checkJsonObject(dir, CARD_FILE, undefined, contents.card);
  const weights = checkWeights(dir, contents.weights);

  let total = 0;
  for (const w of weights) total += w.data.length * BYTES_PER_FLOAT32;
  const bin = Buffer.alloc(total);
  let offset = 0;
  for (const w of weights) {
    // Copy the bytes rather than the numbers so NaN payloads survive bit for bit.
    bin.set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength), offset);
    offset += w.data.byteLength;
  }
  if (SWAP_BYTES) bin.swap32();

  const model = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    spec,
    weightsManifest: [
      {
        paths: [WEIGHTS_FILE],
        weights: weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: 'float32' })),
      },
    ],
  };
  // Our two fields win over same-named caller fields (e.g. a loaded card saved again).
  const card = {
    ...callerCard,
    weights_sha256: createHash('sha256').update(bin).digest('hex'),
    created: new Date().toISOString(),
  };
  const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
  return [
    [WEIGHTS_FILE, bin],
    [MODEL_FILE, json(model)],
    [NORMALIZER_FILE, json(normalizer)],
    [CARD_FILE, json(card)],
  ];
}

function checkWeights(dir: string, weights: unknown): NamedWeights[] {
  const fail = (field: string, problem: string) => artifactError(dir, WEIGHTS_FILE, field, problem);
  if (!Array.isArray(weights))
    throw fail('weights', `expected an array of { name, shape, data }, got ${describe(weights)}`);
  const seen = new Map<string, number>();
  return weights.map((w: unknown, i): NamedWeights => {
    const at = `weights[${i}]`;
    if (!isPlainObject(w)) throw fail(at, `expected { name, shape, data }, got ${describe(w)}`);
    const { name, shape, data } = w;
    if (typeof name !== 'string' || name === '')
      throw fail(`${at}.name`, `expected a non-empty string, got ${describe(name)}`);
    const earlier = seen.get(name);
    if (earlier !== undefined)
      throw fail(`${at}.name`, `"${name}" is also the name of weights[${earlier}]; names must be unique`);
    seen.set(name, i);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw fail(`${at}.shape`, `expected an array of non-negative integers, got ${describe(shape)}`);
    }
    if (!(data instanceof Float32Array))
      throw fail(`${at}.data`, `expected a Float32Array, got ${describe(data)}`);
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (data.length !== size) {
      throw fail(
        `${at}.data`,
        `"${name}" has ${data.length} values but shape [${shape.join(', ')}] needs ${size}`,
      );
    }
    return { name, shape: shape as number[], data };
  });
}

/**
 * The opaque objects must survive JSON unchanged: JSON.stringify would turn NaN into null and a
 * Date into a string, silently. Undefined object properties are allowed; they are simply absent.
 */
function checkJsonObject(
  dir: string,
  file: string,
  prefix: string | undefined,
  value: unknown,
): Record<string, unknown> {
  const ancestors = new Set<object>();
  const walk = (v: unknown, at: (string | number)[]): void => {
    const problem = (text: string) => artifactError(dir, file, formatPath(at), text);
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw problem(`${v} cannot be stored in JSON (expected a finite number)`);
      return;
    }
    if (typeof v !== 'object') throw problem(`expected a JSON value, got ${describe(v)}`);
    if (ancestors.has(v)) throw problem('circular reference');
    ancestors.add(v);
    if (Array.isArray(v)) {
      v.forEach((item: unknown, i) => {
        if (item === undefined)
          throw artifactError(dir, file, formatPath([...at, i]), 'undefined cannot be stored in JSON');
        walk(item, [...at, i]);
      });
    } else if (isPlainObject(v)) {
      for (const [key, item] of Object.entries(v)) if (item !== undefined) walk(item, [...at, key]);
    } else {
      throw problem(`expected a plain JSON object, got ${describe(v)}`);
    }
    ancestors.delete(v);
  };
  const root = prefix === undefined ? [] : [prefix];
  if (!isPlainObject(value))
    throw artifactError(dir, file, formatPath(root), `expected a JSON object, got ${describe(value)}`);
  walk(value, root);
  return value;
}

// ---------------------------------------------------------------------------------------------
// load

const JsonObjectSchema = z.custom<Record<string, unknown>>(isPlainObject, {
  error: 'expected a JSON object',
});

const ModelJsonSchema = z.object({
  format: z.literal(FORMAT),
  formatVersion: z.literal(FORMAT_VERSION),
  spec: JsonObjectSchema,
  // Exactly the layout we write; anything else (quantization, sharding, other dtypes) would be
  // misread by the plain float32 slicing below, so it is refused.
  weightsManifest: z.tuple([
    z.strictObject({
      paths: z.tuple([z.literal(WEIGHTS_FILE)]),
      weights: z.array(
        z.strictObject({
          name: z.string().min(1),
          shape: z.array(z.int().nonnegative()),
          dtype: z.literal('float32'),
        }),
      ),
    }),
  ]),
});

const CardSchema = z.looseObject({
  weights_sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, { error: 'expected 64 lowercase hex digits (a sha256)' }),
  created: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time' }),
});

export async function loadModelArtifact(dir: string): Promise<LoadedModelArtifact> {
  const root = path.resolve(dir);
  if (TEMP_NAME.test(path.basename(root))) {
    throw artifactError(
      root,
      undefined,
      undefined,
      'is a temporary directory from an unfinished or interrupted save, not a model artifact',
    );
  }
  let isDir: boolean;
  try {
    isDir = (await stat(root)).isDirectory();
  } catch (err) {
    const problem = errorCode(err) === 'ENOENT' ? 'model artifact directory does not exist' : errorText(err);
    throw artifactError(root, undefined, undefined, problem);
  }
  if (!isDir)
    throw artifactError(
      root,
      undefined,
      undefined,
      'is not a directory (expected a model artifact directory)',
    );

  const modelRaw = await readJson(root, MODEL_FILE);
  checkFormat(root, modelRaw);
  const model = decode(root, MODEL_FILE, ModelJsonSchema, modelRaw);
  const entries = model.weightsManifest[0].weights;
  const seen = new Map<string, number>();
  entries.forEach((e, i) => {
    const earlier = seen.get(e.name);
    if (earlier !== undefined) {
      throw artifactError(
        root,
        MODEL_FILE,
        `weightsManifest[0].weights[${i}].name`,
        `"${e.name}" is also the name of weights[${earlier}]; names must be unique`,
      );
    }
    seen.set(e.name, i);
  });

  const card = decode(root, CARD_FILE, CardSchema, await readJson(root, CARD_FILE));
  const normalizer = decode(root, NORMALIZER_FILE, JsonObjectSchema, await readJson(root, NORMALIZER_FILE));

  const bin = await readArtifactFile(root, WEIGHTS_FILE);
  const sizes = entries.map((e) => e.shape.reduce((a, b) => a * b, 1));
  const expectedBytes = sizes.reduce((a, b) => a + b, 0) * BYTES_PER_FLOAT32;
  if (!Number.isSafeInteger(expectedBytes)) {
    throw artifactError(
      root,
      MODEL_FILE,
      'weightsManifest[0].weights',
      'the shapes describe an impossibly large model',
    );
  }
  if (bin.length !== expectedBytes) {
    throw artifactError(
      root,
      WEIGHTS_FILE,
      undefined,
      `size is ${bin.length} bytes but the manifest in model.json needs ${expectedBytes} bytes ` +
        `(${expectedBytes / BYTES_PER_FLOAT32} float32 values): the file is truncated or does not belong to this model.json`,
    );
  }
  const sha = createHash('sha256').update(bin).digest('hex');
  if (sha !== card.weights_sha256) {
    throw artifactError(
      root,
      WEIGHTS_FILE,
      undefined,
      'weights.bin does not match card.json weights_sha256: the artifact is corrupt or was modified',
    );
  }

  let offset = 0;
  const weights = entries.map((e, i): NamedWeights => {
    const data = new Float32Array(sizes[i]);
    const bytes = new Uint8Array(data.buffer);
    bytes.set(bin.subarray(offset, offset + bytes.length));
    if (SWAP_BYTES) Buffer.from(data.buffer).swap32();
    offset += bytes.length;
    return { name: e.name, shape: e.shape, data };
  });
  return { spec: model.spec, weights, normalizer, card };
}

async function readArtifactFile(dir: string, file: string): Promise<Buffer> {
  try {
    return await readFile(path.join(dir, file));
  } catch (err) {
    const problem =
      errorCode(err) === 'ENOENT'
        ? `missing file (a model artifact has ${MODEL_FILE}, ${WEIGHTS_FILE}, ${NORMALIZER_FILE} and ${CARD_FILE})`
        : `could not read: ${errorText(err)}`;
    throw artifactError(dir, file, undefined, problem);
  }
}

async function readJson(dir: string, file: string): Promise<unknown> {
  const text = (await readArtifactFile(dir, file)).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw artifactError(dir, file, undefined, `not valid JSON: ${errorText(err)}`);
  }
}

/** format and formatVersion first, so a foreign or newer file says so instead of listing field errors. */
function checkFormat(dir: string, raw: unknown): void {
  if (!isPlainObject(raw))
    throw artifactError(dir, MODEL_FILE, undefined, `expected a JSON object, got ${describe(raw)}`);
  if (raw.format !== FORMAT) {
    throw artifactError(dir, MODEL_FILE, 'format', `expected "${FORMAT}", got ${describe(raw.format)}`);
  }
  if (raw.formatVersion !== FORMAT_VERSION) {
    throw artifactError(
      dir,
      MODEL_FILE,
      'formatVersion',
      `expected ${FORMAT_VERSION}, got ${describe(raw.formatVersion)} (written by another version of mbrl-control?)`,
    );
  }
}

function decode<S extends z.ZodType>(dir: string, file: string, schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const [first, ...rest] = result.error.issues;
  const field = formatPath(first.path.map((p) => (typeof p === 'symbol' ? String(p) : p)));
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
  throw artifactError(dir, file, field, issueText(first) + more);
}

function issueText(issue: z.core.$ZodIssue): string {
  const input: unknown = 'input' in issue ? issue.input : undefined;
  if (issue.code === 'invalid_type' && input === undefined) return `missing (expected ${issue.expected})`;
  const message = issue.message.replace(/^Invalid input: /, '');
  if (message.includes('received') || input === undefined || (typeof input === 'object' && input !== null)) {
    return message;
  }
  return `${message}, got ${describe(input)}`;
}

// ---------------------------------------------------------------------------------------------
// versions

/** Version directories (`v0001`, `v0002`, ...) under root, ascending; temp dirs are not versions. */
export function listVersions(root: string): { dir: string; version: number }[] {
  return readEntries(root)
    .filter((e) => e.isDirectory() && VERSION_NAME.test(e.name))
    .map((e) => ({ dir: path.join(root, e.name), version: versionOf(e.name) }))
    .sort((a, b) => a.version - b.version || a.dir.localeCompare(b.dir));
}

/** The directory for the next version under root: one past the highest existing `vNNNN`. */
export function nextVersionDir(root: string): { dir: string; version: number } {
  // Any entry with a version name counts, even a stray file, so the name returned is free.
  const used = readEntries(root)
    .filter((e) => VERSION_NAME.test(e.name))
    .map((e) => versionOf(e.name));
  const version = Math.max(0, ...used) + 1;
  return { dir: path.join(root, `v${String(version).padStart(4, '0')}`), version };
}

function readEntries(root: string) {
  try {
    return readdirSync(root, { withFileTypes: true });
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return [];
    throw new ModelArtifactError(`${root}: could not list model versions: ${errorText(err)}`, { dir: root });
  }
}

function versionOf(name: string): number {
  return Number(VERSION_NAME.exec(name)?.[1]);
}

// ---------------------------------------------------------------------------------------------
// helpers

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `a.b[2].c`, or `(root)` for the whole file. */
function formatPath(at: readonly (string | number)[]): string {
  if (at.length === 0) return '(root)';
  let out = '';
  for (const seg of at) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const ctor = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor
      ?.name;
    return ctor && ctor !== 'Object' ? `a ${ctor}` : 'an object';
  }
  return `a ${typeof value}`;
}

function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
