import assert from 'node:assert/strict';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { McapIndexedReader } from '@mcap/core';
import { McapFileReadable } from './mcap-file-readable.js';
import {
  expectedRecord,
  openTestWriter,
  TEST_TASK,
  tempDir,
  testRecord,
} from './testing/transition-fixtures.js';
import { readTransitionLog } from './transition-log-reader.js';
import { TransitionLogWriter } from './transition-log-writer.js';

const NOW = Date.UTC(2024, 0, 2, 3, 4, 5, 678);

async function mcapFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.mcap')).sort();
}

test('records round-trip exactly, in order, with no duplicates or gaps', async () => {
  const dir = tempDir('roundtrip');
  const writer = await openTestWriter(dir, { rotateBytes: 64 << 20, now: () => NOW });
  for (let i = 0; i < 300; i++) {
    writer.append(testRecord(i));
    if (i % 97 === 0) assert.equal(await writer.flush(), true);
  }
  const stats = await writer.close();
  assert.equal(stats.appended, 300);
  assert.equal(stats.durable, 300);
  assert.equal(stats.queued, 0);
  assert.equal(stats.files, 1);
  assert.equal(stats.lastError, undefined);

  const names = await mcapFiles(dir);
  assert.deepEqual(names, ['transitions-20240102T030405.678Z-0000.mcap']);
  assert.equal(stats.bytes, (await stat(join(dir, names[0]))).size);
  const log = await readTransitionLog(dir);
  assert.deepEqual(log.task, TEST_TASK);
  assert.equal(log.records.length, 300);
  log.records.forEach((record, i) => assert.deepStrictEqual(record, expectedRecord(i), `record ${i}`));
  assert.deepEqual(
    log.files.map((f) => [f.finished, f.transitions]),
    [[true, 300]],
  );
});

test('a finished file reads back with McapIndexedReader, with schema, channel, metadata and statistics', async () => {
  const dir = tempDir('indexed');
  const writer = await openTestWriter(dir);
  for (let i = 0; i < 20; i++) writer.append(testRecord(i));
  await writer.close();
  const [name] = await mcapFiles(dir);
  const handle = await open(join(dir, name), 'r');
  try {
    const reader = await McapIndexedReader.Initialize({
      readable: new McapFileReadable(handle, (await handle.stat()).size),
    });
    assert.deepEqual(reader.header, { type: 'Header', profile: '', library: 'mbrl-control' });
    const schemas = [...reader.schemasById.values()];
    assert.equal(schemas.length, 1);
    assert.equal(schemas[0].name, 'mbrl_control/Transition');
    assert.equal(schemas[0].encoding, 'jsonschema');
    const jsonSchema = JSON.parse(new TextDecoder().decode(schemas[0].data)) as {
      properties: Record<string, { minItems?: number; description?: string }>;
      required: string[];
    };
    assert.equal(jsonSchema.properties.state.minItems, 4);
    assert.match(jsonSchema.properties.state.description ?? '', /x, x_dot, theta, theta_dot/);
    assert.ok(jsonSchema.required.includes('modelVersion'));
    const channels = [...reader.channelsById.values()];
    assert.deepEqual(
      channels.map((c) => [c.topic, c.messageEncoding, c.schemaId]),
      [['/transitions', 'json', schemas[0].id]],
    );
    const metadata = [];
    for await (const m of reader.readMetadata()) metadata.push(m);
    assert.equal(metadata.length, 1);
    assert.equal(metadata[0].name, 'mbrl_control/task');
    assert.equal(metadata[0].metadata.get('task'), 'test-cart');
    assert.deepEqual(JSON.parse(metadata[0].metadata.get('state_names') ?? ''), TEST_TASK.stateNames);
    assert.deepEqual(JSON.parse(metadata[0].metadata.get('action_names') ?? ''), TEST_TASK.actionNames);
    assert.equal(reader.statistics?.messageCount, 20n);
    const steps: number[] = [];
    for await (const message of reader.readMessages()) {
      const decoded = JSON.parse(new TextDecoder().decode(message.data)) as { step: number; stamp: number };
      steps.push(decoded.step);
      assert.equal(message.publishTime, BigInt(Math.round(decoded.stamp * 1e9)));
    }
    assert.deepEqual(
      steps,
      Array.from({ length: 20 }, (_, i) => i),
    );
  } finally {
    await handle.close();
  }
});

test('rotation by size gives several finished files no larger than rotateBytes whose concatenation is the stream', async () => {
  const dir = tempDir('rotate');
  const rotateBytes = 8192;
  const writer = await openTestWriter(dir, { rotateBytes });
  for (let i = 0; i < 250; i++) {
    writer.append(testRecord(i));
    if (i === 40) await writer.flush(); // rotation both inside one big flush and across flushes
  }
  const stats = await writer.close();
  const names = await mcapFiles(dir);
  assert.ok(names.length >= 5, `${names.length} files`);
  assert.equal(stats.files, names.length);
  let total = 0;
  let offset = 0;
  for (const [k, name] of names.entries()) {
    const size = (await stat(join(dir, name))).size;
    total += size;
    assert.ok(size <= rotateBytes, `${name}: ${size} bytes`);
    // Rotated only when one more record would not fit: a file is full to within about a record.
    if (k < names.length - 1) assert.ok(size > 0.9 * rotateBytes, `${name}: only ${size} bytes`);
    const one = await readTransitionLog(join(dir, name));
    assert.equal(one.files[0].finished, true, name);
    one.records.forEach((r, k) => assert.deepStrictEqual(r, expectedRecord(offset + k)));
    offset += one.records.length;
  }
  assert.equal(offset, 250);
  assert.equal(stats.bytes, total);
  const all = await readTransitionLog(dir);
  assert.deepEqual(
    all.records.map((r) => r.step + 50 * r.episode),
    Array.from({ length: 250 }, (_, i) => i),
  );
});

test('an invalid record throws a RangeError naming the field and is not written', async () => {
  const dir = tempDir('validate');
  const writer = await openTestWriter(dir);
  const good = testRecord(1);
  const cases: [Partial<Record<keyof typeof good, unknown>>, RegExp][] = [
    [{ state: [1, NaN, 3, 4] }, /^transition: state\[1\]: .*NaN/],
    [{ nextState: [1, 2, Infinity, 4] }, /^transition: nextState\[2\]: .*Infinity/],
    [{ action: [1, 2] }, /^transition: action: has 2 values, task "test-cart" has 1$/],
    [{ state: [1, 2, 3] }, /^transition: state: has 3 values, task "test-cart" has 4$/],
    [{ reward: Number.NaN }, /^transition: reward: /],
    [{ stamp: -1 }, /^transition: stamp: /],
    [{ episode: 1.5 }, /^transition: episode: /],
    [{ step: -2 }, /^transition: step: /],
    [{ modelVersion: -1 }, /^transition: modelVersion: /],
    [{ source: 'autopilot' }, /^transition: source: /],
    [{ done: 1 }, /^transition: done: /],
    [{ state: undefined }, /^transition: state: /],
  ];
  for (const [patch, message] of cases) {
    const bad = { ...good, ...patch } as typeof good;
    assert.throws(
      () => writer.append(bad),
      (error: unknown) => {
        assert.ok(error instanceof RangeError, String(error));
        assert.match(error.message, message);
        return true;
      },
    );
  }
  writer.append(good);
  const stats = await writer.close();
  assert.equal(stats.appended, 1);
  const log = await readTransitionLog(dir);
  assert.equal(log.records.length, 1);
  assert.deepStrictEqual(log.records[0], expectedRecord(1));
});

test('bad options are RangeErrors naming the option', async () => {
  const dir = tempDir('options');
  const base = { dir, task: TEST_TASK, flushIntervalS: 1, rotateBytes: 1 << 20 };
  await assert.rejects(TransitionLogWriter.open({ ...base, flushIntervalS: 0 }), /flushIntervalS/);
  await assert.rejects(
    TransitionLogWriter.open({ ...base, rotateBytes: 100 }),
    /rotateBytes: must be at least 4096/,
  );
  await assert.rejects(TransitionLogWriter.open({ ...base, filePrefix: '../x' }), /filePrefix/);
  await assert.rejects(
    TransitionLogWriter.open({ ...base, task: { ...TEST_TASK, actionNames: [] } }),
    /task\.actionNames/,
  );
});

test('the flush timer makes records durable without flush(); the open file reads as unfinished', async () => {
  const dir = tempDir('timer');
  const writer = await openTestWriter(dir, { flushIntervalS: 0.05 });
  for (let i = 0; i < 10; i++) writer.append(testRecord(i));
  assert.equal(writer.stats.durable, 0);
  await new Promise((resolve) => setTimeout(resolve, 250));
  assert.equal(writer.stats.durable, 10);
  const log = await readTransitionLog(dir);
  assert.equal(log.records.length, 10);
  assert.equal(log.files[0].finished, false);
  await writer.close();
  assert.equal((await readTransitionLog(dir)).files[0].finished, true);
});

test('a second writer on a directory a live writer holds is refused', async () => {
  const dir = tempDir('lock');
  const writer = await openTestWriter(dir);
  await assert.rejects(openTestWriter(dir), /has it open/);
  await writer.close();
  const again = await openTestWriter(dir);
  await again.close();
});
