import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import {
  listVersions,
  loadModelArtifact,
  ModelArtifactError,
  nextVersionDir,
  saveModelArtifact,
  type ModelArtifactContents,
} from './model-artifact.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'model-artifact-test-'));
after(() => rm(scratch, { recursive: true, force: true }));
let counter = 0;
const freshDir = () => path.join(scratch, `case-${++counter}`, 'v0001');

function contents(): ModelArtifactContents {
  // Values chosen to catch lossy copies: a NaN with a payload, -0, subnormals, extremes.
  const special = new Float32Array(new Uint32Array([0x7fc00123, 0x80000000, 0x00000001, 0x7f7fffff]).buffer);
  const w0 = new Float32Array(6).map((_, i) => Math.sin(i + 1) * 1e-3);
  return {
    spec: { members: 5, hidden: [200, 200], activation: 'swish', nested: { angle: [1, 3] } },
    weights: [
      { name: 'layer0/w', shape: [2, 3], data: w0 },
      { name: 'layer0/b', shape: [4], data: special },
      { name: 'scalar', shape: [], data: new Float32Array([Math.PI]) },
      { name: 'empty', shape: [0, 7], data: new Float32Array(0) },
    ],
    normalizer: { input: { mean: [0.5, -1], std: [1, 2] } },
    card: { transitions: 1234, elites: [0, 2, 3], backend: 'wasm', val: [{ member: 0, nll: -1.5 }] },
  };
}

async function saved(): Promise<string> {
  const dir = freshDir();
  await saveModelArtifact(dir, contents());
  return dir;
}

async function loadError(dir: string): Promise<ModelArtifactError> {
  try {
    await loadModelArtifact(dir);
  } catch (err) {
    assert.ok(err instanceof ModelArtifactError, `expected a ModelArtifactError, got ${String(err)}`);
    return err;
  }
  assert.fail('loadModelArtifact should have thrown');
}

async function saveError(dir: string, c: ModelArtifactContents): Promise<ModelArtifactError> {
  try {
    await saveModelArtifact(dir, c);
  } catch (err) {
    assert.ok(err instanceof ModelArtifactError, `expected a ModelArtifactError, got ${String(err)}`);
    return err;
  }
  assert.fail('saveModelArtifact should have thrown');
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

test('round trip is bit for bit, and spec, normalizer and card are preserved', async () => {
  const dir = freshDir();
  const input = contents();
  const before = Date.now();
  await saveModelArtifact(dir, input);
  const loaded = await loadModelArtifact(dir);

  assert.deepEqual(loaded.spec, input.spec);
  assert.deepEqual(loaded.normalizer, input.normalizer);
  assert.equal(loaded.weights.length, input.weights.length);
  loaded.weights.forEach((w, i) => {
    assert.equal(w.name, input.weights[i].name);
    assert.deepEqual(w.shape, input.weights[i].shape);
    assert.ok(w.data instanceof Float32Array);
    assert.deepEqual(bits(w.data), bits(input.weights[i].data));
  });
  const { weights_sha256, created, ...rest } = loaded.card;
  assert.deepEqual(rest, input.card);
  assert.match(weights_sha256, /^[0-9a-f]{64}$/);
  assert.ok(Date.parse(created) >= before - 1000 && Date.parse(created) <= Date.now() + 1000);
  assert.deepEqual(readdirSync(dir).sort(), ['card.json', 'model.json', 'normalizer.json', 'weights.bin']);
});

test('the files follow the tfjs weights-manifest convention, little-endian', async () => {
  const dir = freshDir();
  await saveModelArtifact(dir, {
    spec: {},
    weights: [
      { name: 'a', shape: [2], data: new Float32Array([1, -2]) },
      { name: 'b', shape: [1, 1], data: new Float32Array([0.5]) },
    ],
    normalizer: {},
    card: {},
  });
  const model: unknown = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
  assert.deepEqual(model, {
    format: 'mbrl-ensemble',
    formatVersion: 1,
    spec: {},
    weightsManifest: [
      {
        paths: ['weights.bin'],
        weights: [
          { name: 'a', shape: [2], dtype: 'float32' },
          { name: 'b', shape: [1, 1], dtype: 'float32' },
        ],
      },
    ],
  });
  const bin = await readFile(path.join(dir, 'weights.bin'));
  assert.deepEqual(
    [0, 4, 8].map((o) => bin.readFloatLE(o)),
    [1, -2, 0.5],
  );
});

test('saving onto an existing directory is refused and leaves it untouched', async () => {
  const dir = await saved();
  const card = await readFile(path.join(dir, 'card.json'), 'utf8');
  const err = await saveError(dir, contents());
  assert.match(err.message, /already exists; model artifacts are immutable/);
  assert.equal(err.dir, dir);
  assert.equal(await readFile(path.join(dir, 'card.json'), 'utf8'), card);

  const empty = freshDir();
  await mkdir(empty, { recursive: true });
  assert.match((await saveError(empty, contents())).message, /already exists/);
});

test('two racing saves to one directory: one wins, the other is refused, no temp dir is left', async () => {
  const dir = freshDir();
  const a = contents();
  const b = contents();
  b.card = { winner: 'b' };
  a.card = { winner: 'a' };
  const results = await Promise.allSettled([saveModelArtifact(dir, a), saveModelArtifact(dir, b)]);
  const ok = results.filter((r) => r.status === 'fulfilled');
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  assert.equal(ok.length, 1);
  assert.equal(failed.length, 1);
  assert.ok(failed[0] instanceof ModelArtifactError);
  assert.match(failed[0].message, /already exists/);
  assert.deepEqual(readdirSync(path.dirname(dir)), ['v0001']);
  const winner = results[0].status === 'fulfilled' ? 'a' : 'b';
  assert.equal((await loadModelArtifact(dir)).card.winner, winner);
});

test('invalid contents are refused before anything is written, naming the field', async () => {
  const cases: [string, (c: ModelArtifactContents) => void, RegExp, string | undefined][] = [
    [
      'size/shape mismatch',
      (c) => (c.weights[0].shape = [4, 3]),
      /weights\.bin: weights\[0\]\.data: "layer0\/w" has 6 values but shape \[4, 3\] needs 12$/,
      'weights.bin',
    ],
    [
      'duplicate name',
      (c) => (c.weights[2].name = 'layer0/w'),
      /weights\[2\]\.name: "layer0\/w" is also the name of weights\[0\]; names must be unique/,
      'weights.bin',
    ],
    [
      'not a Float32Array',
      (c) => (c.weights[1].data = new Float64Array(4) as unknown as Float32Array),
      /weights\[1\]\.data: expected a Float32Array, got a Float64Array/,
      'weights.bin',
    ],
    [
      'bad shape',
      (c) => (c.weights[1].shape = [2, -2]),
      /weights\[1\]\.shape: expected an array of non-negative integers/,
      'weights.bin',
    ],
    [
      'NaN in the card',
      (c) => (c.card.val = [{ nll: Number.NaN }]),
      /card\.json: val\[0\]\.nll: NaN cannot be stored in JSON/,
      'card.json',
    ],
    [
      'Date in the spec',
      (c) => (c.spec.when = new Date()),
      /model\.json: spec\.when: expected a plain JSON object, got a Date/,
      'model.json',
    ],
    [
      'normalizer not an object',
      (c) => (c.normalizer = [1, 2] as unknown as Record<string, unknown>),
      /normalizer\.json: \(root\): expected a JSON object, got an array/,
      'normalizer.json',
    ],
  ];
  for (const [label, mutate, message, file] of cases) {
    const dir = freshDir();
    const c = contents();
    mutate(c);
    const err = await saveError(dir, c);
    assert.match(err.message, message, label);
    assert.equal(err.file, file, label);
    // Nothing at all is created: not even the parent of the version dir, let alone a temp dir.
    assert.equal(existsSync(path.dirname(dir)), false, label);
  }
});

test('loading a complete artifact then corrupting it: each corruption names the file and problem', async (t) => {
  await t.test('truncated weights.bin: expected vs actual bytes', async () => {
    const dir = await saved();
    await truncate(path.join(dir, 'weights.bin'), 20);
    const err = await loadError(dir);
    assert.equal(err.file, 'weights.bin');
    assert.equal(
      err.message,
      `${path.join(dir, 'weights.bin')}: size is 20 bytes but the manifest in model.json needs 44 bytes ` +
        '(11 float32 values): the file is truncated or does not belong to this model.json',
    );
  });

  await t.test('one flipped byte: sha256 mismatch', async () => {
    const dir = await saved();
    const file = path.join(dir, 'weights.bin');
    const bin = await readFile(file);
    bin[13] ^= 0x01;
    await writeFile(file, bin);
    const err = await loadError(dir);
    assert.equal(err.file, 'weights.bin');
    assert.equal(
      err.message,
      `${file}: weights.bin does not match card.json weights_sha256: the artifact is corrupt or was modified`,
    );
  });

  await t.test('card.json deleted', async () => {
    const dir = await saved();
    await unlink(path.join(dir, 'card.json'));
    const err = await loadError(dir);
    assert.equal(err.file, 'card.json');
    assert.match(err.message, /card\.json: missing file/);
  });

  await t.test('bad JSON in model.json carries the parse error', async () => {
    const dir = await saved();
    await writeFile(path.join(dir, 'model.json'), '{"format": "mbrl-ensemble",');
    const err = await loadError(dir);
    assert.equal(err.file, 'model.json');
    assert.match(err.message, /model\.json: not valid JSON: .*JSON/);
  });

  const editModel = async (
    edit: (
      m: Record<string, unknown> & { weightsManifest: { weights: Record<string, unknown>[] }[] },
    ) => void,
  ) => {
    const dir = await saved();
    const file = path.join(dir, 'model.json');
    const model = JSON.parse(await readFile(file, 'utf8')) as Parameters<typeof edit>[0];
    edit(model);
    await writeFile(file, JSON.stringify(model));
    return loadError(dir);
  };

  await t.test('wrong dtype', async () => {
    const err = await editModel((m) => (m.weightsManifest[0].weights[1].dtype = 'float16'));
    assert.equal(err.file, 'model.json');
    assert.equal(err.field, 'weightsManifest[0].weights[1].dtype');
    assert.match(
      err.message,
      /weightsManifest\[0\]\.weights\[1\]\.dtype: expected "float32", got "float16"$/,
    );
  });

  await t.test('a shape that does not match the size of weights.bin', async () => {
    const err = await editModel((m) => (m.weightsManifest[0].weights[0].shape = [3, 3]));
    assert.equal(err.file, 'weights.bin');
    assert.match(err.message, /size is 44 bytes but the manifest in model.json needs 56 bytes/);
  });

  await t.test(
    'a shape of the right total size but a different layout: sha still matches, shape is trusted',
    async () => {
      // Not detectable from the bytes; documents that the manifest, not the data, fixes layout.
      const dir = await saved();
      const file = path.join(dir, 'model.json');
      const model = JSON.parse(await readFile(file, 'utf8')) as {
        weightsManifest: { weights: { shape: number[] }[] }[];
      };
      model.weightsManifest[0].weights[0].shape = [3, 2];
      await writeFile(file, JSON.stringify(model));
      assert.deepEqual((await loadModelArtifact(dir)).weights[0].shape, [3, 2]);
    },
  );

  await t.test('a non-integer or negative dimension', async () => {
    const err = await editModel((m) => (m.weightsManifest[0].weights[0].shape = [2, 1.5]));
    assert.equal(err.field, 'weightsManifest[0].weights[0].shape[1]');
  });

  await t.test('quantization or other unknown manifest keys are refused', async () => {
    const err = await editModel((m) => (m.weightsManifest[0].weights[0].quantization = { dtype: 'uint8' }));
    assert.equal(err.field, 'weightsManifest[0].weights[0]');
    assert.match(err.message, /Unrecognized key: "quantization"/);
  });

  await t.test('duplicate names in the manifest', async () => {
    const err = await editModel((m) => (m.weightsManifest[0].weights[1].name = 'layer0/w'));
    assert.equal(err.field, 'weightsManifest[0].weights[1].name');
  });

  await t.test('wrong format and formatVersion', async () => {
    let err = await editModel((m) => (m.format = 'tfjs-layers'));
    assert.equal(err.field, 'format');
    assert.match(err.message, /model\.json: format: expected "mbrl-ensemble", got "tfjs-layers"$/);
    err = await editModel((m) => (m.formatVersion = 2));
    assert.equal(err.field, 'formatVersion');
    assert.match(
      err.message,
      /model\.json: formatVersion: expected 1, got number 2 \(written by another version of mbrl-control\?\)$/,
    );
  });

  await t.test('a card without weights_sha256', async () => {
    const dir = await saved();
    const file = path.join(dir, 'card.json');
    const card = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    delete card.weights_sha256;
    await writeFile(file, JSON.stringify(card));
    const err = await loadError(dir);
    assert.equal(err.file, 'card.json');
    assert.equal(err.field, 'weights_sha256');
    assert.match(err.message, /card\.json: weights_sha256: missing \(expected string\)$/);
  });

  await t.test('normalizer.json holding an array', async () => {
    const dir = await saved();
    await writeFile(path.join(dir, 'normalizer.json'), '[1, 2]');
    const err = await loadError(dir);
    assert.equal(err.file, 'normalizer.json');
    assert.match(err.message, /normalizer\.json: \(root\): expected a JSON object$/);
  });
});

test('a temp directory, a missing directory and a file are not artifacts', async () => {
  const root = path.join(scratch, `case-${++counter}`);
  const temp = path.join(root, 'v0001.tmp-4242-0a1b2c');
  await saveModelArtifact(path.join(root, 'v0001'), contents());
  await mkdir(temp);
  assert.match((await loadError(temp)).message, /v0001\.tmp-4242-0a1b2c: is a temporary directory/);
  assert.match(
    (await loadError(path.join(root, 'nope'))).message,
    /nope: model artifact directory does not exist$/,
  );
  assert.match((await loadError(path.join(root, 'v0001', 'card.json'))).message, /is not a directory/);
});

test('listVersions and nextVersionDir skip temp dirs and other names', async () => {
  const root = path.join(scratch, `case-${++counter}`);
  assert.deepEqual(listVersions(root), []);
  assert.deepEqual(nextVersionDir(root), { dir: path.join(root, 'v0001'), version: 1 });

  for (const name of ['v0002', 'v0003.tmp-99-abcdef', 'v0099.tmp-1-ff', 'v7', 'latest', 'v0004x'])
    await mkdir(path.join(root, name), { recursive: true });
  await writeFile(path.join(root, 'notes.txt'), '');
  // A stray file with a version name is not a version, but its name is taken.
  await writeFile(path.join(root, 'v0010'), '');
  await mkdir(path.join(root, 'v0009'));
  assert.deepEqual(listVersions(root), [
    { dir: path.join(root, 'v0002'), version: 2 },
    { dir: path.join(root, 'v0009'), version: 9 },
  ]);
  assert.deepEqual(nextVersionDir(root), { dir: path.join(root, 'v0011'), version: 11 });

  // The next version round-trips through save and shows up in the listing.
  const next = nextVersionDir(root);
  await saveModelArtifact(next.dir, contents());
  assert.deepEqual(listVersions(root).at(-1), next);
  assert.deepEqual(nextVersionDir(root).version, 12);

  // Past v9999 the number simply grows a digit.
  await mkdir(path.join(root, 'v9999'));
  assert.deepEqual(nextVersionDir(root), { dir: path.join(root, 'v10000'), version: 10000 });
});
