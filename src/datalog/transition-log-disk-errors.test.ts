// Disk errors never throw out of the writer's timer or flush(): they are in stats.lastError, the
// records wait in a bounded queue, and they are written once the disk works again.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { expectedRecord, openTestWriter, tempDir, testRecord } from './testing/transition-fixtures.js';
import { readTransitionLog } from './transition-log-reader.js';
import type { TransitionLogWriterOptions } from './transition-log-writer.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A writer whose directory is then moved away, so creating its first file fails with ENOENT. */
async function writerOnVanishedDir(label: string, options: Partial<TransitionLogWriterOptions> = {}) {
  const dir = join(tempDir(label), 'log');
  const writer = await openTestWriter(dir, options);
  renameSync(dir, `${dir}-moved`);
  return { dir, writer };
}

async function loggedSteps(dir: string): Promise<number[]> {
  return (await readTransitionLog(dir)).records.map((r) => r.step);
}

function errorCode(error: Error | undefined): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

test('an unwritable directory gives stats.lastError, no throw, and the records are durable once it is writable', async (t) => {
  if (process.getuid?.() === 0) {
    t.skip('running as root: root bypasses directory permissions, so chmod 0o500 cannot make it unwritable');
    return;
  }
  const dir = tempDir('readonly');
  chmodSync(dir, 0o500);
  try {
    const writer = await openTestWriter(dir, { flushIntervalS: 0.05 });
    for (let i = 0; i < 5; i++) writer.append(testRecord(i));
    assert.equal(await writer.flush(), false);
    await sleep(150); // timer flushes fail too, without throwing
    const failed = writer.stats;
    assert.equal(errorCode(failed.lastError), 'EACCES');
    assert.equal(failed.failing, true);
    assert.equal(failed.durable, 0);
    assert.equal(failed.queued, 5);
    chmodSync(dir, 0o700);
    await sleep(200);
    assert.equal(writer.stats.durable, 5, 'the timer retried');
    assert.equal(writer.stats.failing, false);
    for (let i = 5; i < 8; i++) writer.append(testRecord(i));
    await writer.close();
  } finally {
    chmodSync(dir, 0o700);
  }
  const log = await readTransitionLog(dir);
  log.records.forEach((r, i) => assert.deepStrictEqual(r, expectedRecord(i)));
  assert.equal(log.records.length, 8);
});

test('a directory that disappears (ENOENT, also as root) is retried by the timer without throwing', async () => {
  const { dir, writer } = await writerOnVanishedDir('vanish', { flushIntervalS: 0.05 });
  for (let i = 0; i < 4; i++) writer.append(testRecord(i));
  assert.equal(await writer.flush(), false);
  await sleep(150);
  assert.equal(errorCode(writer.stats.lastError), 'ENOENT');
  assert.equal(writer.stats.failing, true);
  assert.equal(writer.stats.queued, 4);
  mkdirSync(dir);
  // The flush timer (every 50 ms) retries on its own; under a loaded CI machine a retry and
  // its fsync can take longer than a few intervals, so wait for the outcome, not a fixed time.
  await until(() => writer.stats.durable === 4, 5000);
  assert.equal(writer.stats.durable, 4);
  assert.equal(writer.stats.failing, false);
  writer.append(testRecord(4));
  const stats = await writer.close();
  assert.equal(stats.files, 1);
  assert.deepEqual(await loggedSteps(dir), [0, 1, 2, 3, 4]);
});

test('while the disk fails the queue is bounded: the oldest records are dropped and counted', async () => {
  const { dir, writer } = await writerOnVanishedDir('bounded', { maxQueuedRecords: 5 });
  for (let i = 0; i < 8; i++) writer.append(testRecord(i));
  assert.equal(await writer.flush(), false);
  assert.deepEqual(
    { appended: writer.stats.appended, dropped: writer.stats.dropped, queued: writer.stats.queued },
    { appended: 8, dropped: 3, queued: 5 },
  );
  mkdirSync(dir);
  const stats = await writer.close();
  assert.equal(stats.durable, 5);
  assert.deepEqual(await loggedSteps(dir), [3, 4, 5, 6, 7]);
});

test('close() rejects when records could not be written, naming how many', async () => {
  const { writer } = await writerOnVanishedDir('close-fails');
  writer.append(testRecord(0));
  writer.append(testRecord(1));
  await assert.rejects(writer.close(), /2 records not written: .*ENOENT/);
});

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(20);
}
