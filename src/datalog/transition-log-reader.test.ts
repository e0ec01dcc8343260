import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { McapWriter, type IWritable } from '@mcap/core';
import {
  expectedRecord,
  openTestWriter,
  TEST_TASK,
  tempDir,
  testRecord,
} from './testing/transition-fixtures.js';
import { TransitionLogError } from './transition-log-error.js';
import { loadTransitionDataset, readTransitionLog } from './transition-log-reader.js';
import { taskMetadata, toWire, TASK_METADATA_NAME } from './transition-wire.js';

/** Writes an MCAP file by hand: the task metadata (overridable) and the given JSON message texts. */
async function handWrittenFile(
  path: string,
  messages: string[],
  metadata = taskMetadata(TEST_TASK),
): Promise<void> {
  const parts: Uint8Array[] = [];
  let position = 0n;
  const writable: IWritable = {
    write: (buffer) => {
      parts.push(buffer.slice());
      position += BigInt(buffer.byteLength);
      return Promise.resolve();
    },
    position: () => position,
  };
  const writer = new McapWriter({ writable });
  await writer.start({ profile: '', library: 'test' });
  await writer.addMetadata({ name: TASK_METADATA_NAME, metadata });
  const schemaId = await writer.registerSchema({ name: 'x', encoding: 'jsonschema', data: new Uint8Array() });
  const channelId = await writer.registerChannel({
    schemaId,
    topic: '/transitions',
    messageEncoding: 'json',
    metadata: new Map(),
  });
  for (const [i, text] of messages.entries())
    await writer.addMessage({
      channelId,
      sequence: i,
      logTime: BigInt(i),
      publishTime: BigInt(i),
      data: new TextEncoder().encode(text),
    });
  await writer.end();
  writeFileSync(path, Buffer.concat(parts));
}

const wireText = (i: number, patch: Record<string, unknown> = {}) =>
  JSON.stringify({ ...(toWire(testRecord(i)) as object), ...patch });

async function readError(path: string): Promise<TransitionLogError> {
  try {
    await readTransitionLog(path);
  } catch (error) {
    assert.ok(error instanceof TransitionLogError, String(error));
    assert.ok(error instanceof RangeError);
    assert.ok(!error.message.includes('\n'), 'one line');
    return error;
  }
  assert.fail(`${path} read without error`);
}

test('an invalid message is an error naming the file, the message index and the field', async () => {
  const dir = tempDir('reader-invalid');
  const file = join(dir, 'bad.mcap');
  await handWrittenFile(file, [wireText(0), wireText(1, { state: [1, 2, 'x', 4] })]);
  assert.equal(
    (await readError(file)).message,
    `${file}: message 1: state[2]: Invalid input: expected number, received string`,
  );
  await handWrittenFile(file, [wireText(0, { action: [] })]);
  assert.equal(
    (await readError(file)).message,
    `${file}: message 0: action: has 0 values, task "test-cart" has 1`,
  );
  await handWrittenFile(file, [wireText(0), wireText(1), wireText(2, { source: 'ghost' })]);
  assert.match((await readError(file)).message, /^.*bad\.mcap: message 2: source: /);
  await handWrittenFile(file, ['{"stamp": 1,']);
  assert.match((await readError(file)).message, /bad\.mcap: message 0: invalid JSON: /);
  const badMetadata = taskMetadata(TEST_TASK);
  badMetadata.set('state_names', '[]');
  await handWrittenFile(file, [wireText(0)], badMetadata);
  assert.match(
    (await readError(file)).message,
    /bad\.mcap: metadata "mbrl_control\/task": task\.stateNames: /,
  );
});

test('files of different tasks in one directory, missing paths, empty directories and non-MCAP files are errors', async () => {
  const dir = tempDir('reader-mixed');
  await handWrittenFile(join(dir, 'a.mcap'), [wireText(0)]);
  await handWrittenFile(join(dir, 'b.mcap'), [wireText(1)], taskMetadata({ ...TEST_TASK, name: 'other' }));
  assert.match(
    (await readError(dir)).message,
    /b\.mcap: task "other" .* differs from "test-cart" .* in .*a\.mcap$/,
  );
  assert.match((await readError(join(dir, 'nope.mcap'))).message, /nope\.mcap: no such file or directory$/);
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  assert.match((await readError(empty)).message, /empty: no \.mcap files in the directory$/);
  writeFileSync(join(empty, 'notes.mcap'), 'hello world, not mcap');
  assert.match((await readError(empty)).message, /notes\.mcap: not an MCAP file/);
});

test('loadTransitionDataset gives a Float32 batch without safe ticks unless asked, and checks dimensions', async () => {
  const dir = tempDir('dataset');
  const writer = await openTestWriter(dir);
  for (let i = 0; i < 100; i++) writer.append(testRecord(i));
  await writer.flush(); // the dataset is read while the writer is still on the file
  const batch = await loadTransitionDataset(dir, { stateDim: 4, actionDim: 1 });
  const kept = Array.from({ length: 100 }, (_, i) => expectedRecord(i)).filter((r) => r.source !== 'safe');
  // Six sources in turn: every sixth record is safe.
  assert.equal(kept.length, 84);
  assert.equal(batch.count, 84);
  assert.deepEqual([batch.stateDim, batch.actionDim], [4, 1]);
  assert.deepEqual(batch.states, Float32Array.from(kept.flatMap((r) => [...r.state])));
  assert.deepEqual(batch.actions, Float32Array.from(kept.flatMap((r) => [...r.action])));
  assert.deepEqual(batch.nextStates, Float32Array.from(kept.flatMap((r) => [...r.nextState])));

  const safe = await loadTransitionDataset(dir, { stateDim: 4, actionDim: 1, sources: ['safe'] });
  assert.equal(safe.count, 16);
  const all = await loadTransitionDataset(dir, {
    stateDim: 4,
    actionDim: 1,
    sources: ['random', 'mpc', 'teleop', 'lqr', 'reset', 'safe'],
  });
  assert.equal(all.count, 100);
  await assert.rejects(
    loadTransitionDataset(dir, { stateDim: 3, actionDim: 1 }),
    /log of task "test-cart" has state dim 4 and action dim 1, expected 3 and 1/,
  );
  await assert.rejects(
    loadTransitionDataset(dir, { stateDim: 4, actionDim: 1, sources: [] }),
    /no transitions/,
  );
  await writer.close();
});
