// Tests run in sequence within this file (node:test's default), which matters: tfjs is one
// process-wide singleton and every test here switches it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { afterEach, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { initTfBackend } from './tf-backend.js';

const require = createRequire(import.meta.url);
const ENV = 'MBRL_TF_BACKEND';
const savedEnv = process.env[ENV];

function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}
// These tests describe a machine without the native backends, like this one; skip elsewhere.
const nativeAbsent = !installed('@tensorflow/tfjs-node-gpu') && !installed('@tensorflow/tfjs-node');
const needsNoNative = nativeAbsent ? {} : { skip: 'a native tfjs backend is installed here' };

afterEach(() => {
  if (savedEnv === undefined) delete process.env[ENV];
  else process.env[ENV] = savedEnv;
});

function collect(): { lines: string[]; log: (line: string) => void } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line) };
}

test('auto picks wasm and reports both native backends as tried, with a reason', needsNoNative, async () => {
  delete process.env[ENV];
  const { lines, log } = collect();
  const info = await initTfBackend({ log });
  assert.equal(info.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(info.preference, 'auto');
  assert.deepEqual(info.tried, [
    { backend: 'tensorflow-gpu', error: 'not installed' },
    { backend: 'tensorflow', error: 'not installed' },
  ]);
  assert.deepEqual(lines, ['tfjs backend: wasm (tensorflow-gpu: not installed; tensorflow: not installed)']);
  // The backend actually computes.
  assert.deepEqual(Array.from(tf.add(tf.scalar(1), tf.scalar(2)).dataSync()), [3]);
});

test('a repeated call with the same preference returns the memo; another preference switches', async () => {
  delete process.env[ENV];
  const { lines, log } = collect();
  const first = await initTfBackend({ preference: 'wasm', log });
  const again = await initTfBackend({ preference: 'wasm', log });
  assert.equal(again, first);
  assert.equal(lines.length, 1, 'only the first call initializes and logs');

  const cpu = await initTfBackend({ preference: 'cpu', log });
  assert.equal(cpu.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.deepEqual(lines, ['tfjs backend: wasm', 'tfjs backend: cpu']);

  // Switching behind its back invalidates the memo rather than reporting a stale backend.
  await tf.setBackend('wasm');
  const cpuAgain = await initTfBackend({ preference: 'cpu', log });
  assert.equal(tf.getBackend(), 'cpu');
  assert.equal(cpuAgain.name, 'cpu');
  assert.equal(lines.length, 3);
});

test("'cpu' works and reports nothing tried", async () => {
  delete process.env[ENV];
  const { lines, log } = collect();
  await initTfBackend({ preference: 'wasm', log });
  const info = await initTfBackend({ preference: 'cpu', log });
  assert.deepEqual(info, { name: 'cpu', preference: 'cpu', tried: [] });
  assert.equal(lines.at(-1), 'tfjs backend: cpu');
  assert.deepEqual(Array.from(tf.mul(tf.tensor1d([1, 2]), 3).dataSync()), [3, 6]);
});

test('MBRL_TF_BACKEND overrides the preference option', async () => {
  const { lines, log } = collect();
  await initTfBackend({ preference: 'wasm', log });
  process.env[ENV] = 'cpu';
  const info = await initTfBackend({ preference: 'wasm', log });
  assert.equal(info.name, 'cpu');
  assert.equal(info.preference, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.equal(lines.at(-1), 'tfjs backend: cpu (MBRL_TF_BACKEND=cpu)');
});

test('an invalid MBRL_TF_BACKEND is an error naming the variable and the allowed values', async () => {
  process.env[ENV] = 'gpu';
  await assert.rejects(initTfBackend({ preference: 'cpu', log: () => {} }), {
    message:
      'environment variable MBRL_TF_BACKEND="gpu" is not a tfjs backend preference; ' +
      'expected one of: auto, tensorflow-gpu, tensorflow, wasm, cpu',
  });
});

test(
  "explicit 'tensorflow' fails with a message naming the package and how to install it",
  needsNoNative,
  async () => {
    delete process.env[ENV];
    const { lines, log } = collect();
    const before = await initTfBackend({ preference: 'cpu', log });
    const logged = lines.length;
    await assert.rejects(initTfBackend({ preference: 'tensorflow', log }), {
      message:
        "tfjs backend 'tensorflow' is unavailable: @tensorflow/tfjs-node is not installed: " +
        'npm install @tensorflow/tfjs-node (needs libtensorflow, downloaded at install)',
    });
    assert.equal(tf.getBackend(), 'cpu', 'a failed switch leaves the working backend in place');
    assert.equal(await initTfBackend({ preference: 'cpu', log }), before);

    process.env[ENV] = 'tensorflow-gpu';
    await assert.rejects(initTfBackend({ log }), {
      message:
        /^tfjs backend 'tensorflow-gpu' \(from MBRL_TF_BACKEND\) is unavailable: @tensorflow\/tfjs-node-gpu is not installed/,
    });
    assert.equal(lines.length, logged, 'a failure logs no backend line');
  },
);

test("the cpu backend's tfjs-node banner is not printed (fresh process)", async () => {
  const moduleUrl = new URL('./tf-backend.js', import.meta.url).href;
  const tfUrl = pathToFileURL(require.resolve('@tensorflow/tfjs')).href;
  const script = [
    `const tf = await import(${JSON.stringify(tfUrl)});`,
    `const { initTfBackend } = await import(${JSON.stringify(moduleUrl)});`,
    `await initTfBackend({ preference: 'cpu' });`,
    `console.log(tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0]);`,
  ].join('\n');
  const env = { ...process.env };
  delete env[ENV];
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', script],
    { env, cwd: fileURLToPath(new URL('.', import.meta.url)) },
  );
  assert.equal(stdout, '3\n');
  assert.equal(stderr, 'tfjs backend: cpu\n');
});
