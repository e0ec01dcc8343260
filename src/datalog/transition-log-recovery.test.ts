import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openIndexedMcap } from './mcap-file-readable.js';
import { scanMcapFile } from './mcap-stream-scan.js';
import { expectedRecord, openTestWriter, tempDir, testRecord } from './testing/transition-fixtures.js';
import { readTransitionLog } from './transition-log-reader.js';
import type { RecoveryReport } from './transition-log-recovery.js';

function mcapNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.mcap'))
    .sort();
}

/** An unfinished file holding records 0..count-1, flushed (as a crash would leave it), and where each message ends. */
async function unfinishedFile(count: number): Promise<{ bytes: Buffer; messageEnds: number[] }> {
  const dir = tempDir('unfinished');
  const writer = await openTestWriter(dir);
  for (let i = 0; i < count; i++) writer.append(testRecord(i));
  await writer.flush();
  const [name] = mcapNames(dir);
  const bytes = readFileSync(join(dir, name));
  await writer.close();
  const copy = join(dir, 'copy.bin');
  writeFileSync(copy, bytes);
  const messageEnds: number[] = [];
  const scan = await scanMcapFile(copy, (record, end) => {
    if (record.type === 'Message') messageEnds.push(end);
  });
  assert.equal(scan.complete, false);
  assert.equal(scan.stoppedAt, bytes.length);
  return { bytes, messageEnds };
}

test('recovery of a file cut at any byte keeps exactly the complete records, finishes it and reports where data stopped', async () => {
  const count = 6;
  const { bytes, messageEnds } = await unfinishedFile(count);
  assert.equal(messageEnds.length, count);
  const cuts = new Set<number>([0, 3, 8, 30]);
  for (const end of messageEnds) for (const d of [-1, 0, 1, 17]) cuts.add(end + d);
  cuts.add(bytes.length);
  for (const cut of [...cuts].filter((c) => c >= 0 && c <= bytes.length).sort((a, b) => a - b)) {
    const dir = tempDir('cut');
    const name = 'transitions-20240101T000000.000Z-0000.mcap';
    writeFileSync(join(dir, name), bytes.subarray(0, cut));
    const reports: RecoveryReport[] = [];
    const writer = await openTestWriter(dir, { onRecover: (r) => reports.push(r) });
    const expected = messageEnds.filter((end) => end <= cut).length;
    assert.equal(reports.length, 1, `cut ${cut}`);
    assert.equal(reports[0].records, expected, `cut ${cut}`);
    assert.equal(reports[0].size, cut);
    assert.ok(reports[0].stoppedAt <= cut, `cut ${cut}: stopped at ${reports[0].stoppedAt}`);
    if (expected > 0) assert.ok(reports[0].stoppedAt >= messageEnds[expected - 1], `cut ${cut}`);
    assert.deepEqual(writer.stats.recovered, reports);
    // New data goes to a new file.
    writer.append(testRecord(expected));
    await writer.close();
    if (cut === 0) {
      assert.equal(existsSync(join(dir, name)), false, 'an empty file is removed');
    } else {
      const indexed = await openIndexedMcap(join(dir, name));
      assert.ok(indexed, `cut ${cut}: recovered file is finished`);
      await indexed.close();
    }
    assert.equal(existsSync(join(dir, name.replace('.mcap', '.recovered.mcap'))), false);
    const log = await readTransitionLog(dir);
    assert.equal(log.files.length, cut === 0 ? 1 : 2);
    assert.ok(log.files.every((f) => f.finished));
    assert.equal(log.records.length, expected + 1, `cut ${cut}`);
    log.records.forEach((r, i) => assert.deepStrictEqual(r, expectedRecord(i), `cut ${cut} record ${i}`));
  }
});

test('recovery stops at a torn record (garbage after the last good one) and says why', async () => {
  const { bytes, messageEnds } = await unfinishedFile(4);
  const dir = tempDir('torn');
  const name = 'transitions-20240101T000000.000Z-0000.mcap';
  const garbage = Buffer.from([0x05, 0x10, 0, 0, 0, 0, 0, 0, 0, ...Array<number>(16).fill(0xab)]); // chunk opcode, bad body
  writeFileSync(join(dir, name), Buffer.concat([bytes.subarray(0, messageEnds[2]), garbage]));
  const reports: RecoveryReport[] = [];
  await (await openTestWriter(dir, { onRecover: (r) => reports.push(r) })).close();
  assert.equal(reports[0].records, 3);
  assert.equal(reports[0].stoppedAt, messageEnds[2]);
  assert.ok(reports[0].reason, 'a reason for stopping early');
  assert.equal((await readTransitionLog(dir)).records.length, 3);
});

test('an interrupted recovery (temporary left, original intact) is redone without duplicates', async () => {
  const { bytes } = await unfinishedFile(5);
  const dir = tempDir('interrupted');
  const name = 'transitions-20240101T000000.000Z-0000.mcap';
  writeFileSync(join(dir, name), bytes);
  writeFileSync(join(dir, name.replace('.mcap', '.recovered.mcap')), bytes.subarray(0, 100));
  const before = await readTransitionLog(dir);
  assert.equal(before.records.length, 5, 'the reader ignores the temporary');
  const reports: RecoveryReport[] = [];
  await (await openTestWriter(dir, { onRecover: (r) => reports.push(r) })).close();
  assert.deepEqual(mcapNames(dir), [name]);
  assert.equal(reports.length, 1);
  assert.equal((await readTransitionLog(dir)).records.length, 5);
});

test('SIGKILL loses at most the last flush interval: every record appended earlier is recovered once, in order', async () => {
  const dir = tempDir('sigkill');
  const flushIntervalS = 0.2;
  const periodMs = 5;
  // Time to write and fsync one interval's records after the timer fires, plus the timer's
  // own lateness on a loaded CI machine (two test files and their workers share 2 cores).
  const writeSlackS = 0.3;
  const child = spawn(
    process.execPath,
    [
      fileURLToPath(new URL('./testing/log-writer-child.js', import.meta.url)),
      dir,
      String(periodMs),
      String(flushIntervalS),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const received: number[] = []; // performance.now() at which index i was printed
  let buffered = '';
  child.stdout.setEncoding('utf8');
  const killed = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.stdout.on('data', (text: string) => {
      buffered += text;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        assert.equal(Number(line), received.length);
        received.push(performance.now());
        if (received.length === 1)
          setTimeout(() => {
            const at = performance.now();
            child.kill('SIGKILL');
            resolve(at);
          }, 1000);
      }
    });
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  const killedAt = await killed;
  assert.equal(await exited, 'SIGKILL');

  const mustHave = received.filter((t) => (killedAt - t) / 1000 > flushIntervalS + writeSlackS).length;
  assert.ok(mustHave > 50, `only ${mustHave} records before the kill`);
  const [unfinished] = mcapNames(dir);
  const sizeAtKill = statSync(join(dir, unfinished)).size;
  assert.equal(await openIndexedMcap(join(dir, unfinished)), undefined, 'the killed file has no footer');

  const reports: RecoveryReport[] = [];
  const writer = await openTestWriter(dir, {
    flushIntervalS,
    rotateBytes: 64 << 20,
    onRecover: (r) => reports.push(r),
  });
  await writer.close();
  assert.equal(reports.length, 1);
  assert.equal(reports[0].size, sizeAtKill);
  const log = await readTransitionLog(dir);
  const steps = log.records.map((r) => r.step);
  assert.ok(
    steps.length >= mustHave,
    `recovered ${steps.length}, appended >${flushIntervalS}s before kill: ${mustHave}`,
  );
  assert.ok(steps.length <= received.length + 1, `recovered ${steps.length} of ${received.length} printed`);
  assert.deepEqual(
    steps,
    Array.from({ length: steps.length }, (_, i) => i),
    'each record once, in order',
  );
  assert.equal(reports[0].records, steps.length);
  log.records.forEach((r, i) => assert.deepStrictEqual(r, { ...expectedRecord(i), episode: 0, step: i }));
});
