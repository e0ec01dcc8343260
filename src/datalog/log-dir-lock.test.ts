// The log directory lock after a crash: a lock left by a process that is gone is taken over,
// also when its pid now names another process (pids repeat after a reboot or in a restarted
// container); a lock whose writer still runs is respected.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LOCK_FILE, LogDirLock, processIdentity } from './log-dir-lock.js';
import { tempDir } from './testing/transition-fixtures.js';

const linux = processIdentity(process.pid) !== undefined;

/** A live process that is not a log writer. */
async function sleeper(): Promise<ChildProcess & { pid: number }> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
  return child as ChildProcess & { pid: number };
}

test('the lock records the pid and, on Linux, which process that pid is', () => {
  const dir = tempDir('lock-content');
  const lock = LogDirLock.acquire(dir);
  const [pid, identity] = readFileSync(join(dir, LOCK_FILE), 'utf8').split('\n');
  assert.equal(pid, String(process.pid));
  if (linux) assert.equal(identity, processIdentity(process.pid));
  lock.release();
});

test('a lock left by a dead process is taken over', async () => {
  const dir = tempDir('lock-dead');
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  writeFileSync(join(dir, LOCK_FILE), `${child.pid}\n`);
  const lock = LogDirLock.acquire(dir);
  assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8').split('\n')[0], String(process.pid));
  lock.release();
});

test(
  'a lock whose pid now belongs to another process is taken over',
  { skip: !linux && 'needs /proc' },
  async (t) => {
    const dir = tempDir('lock-reused');
    const other = await sleeper();
    t.after(() => other.kill());
    // The writer that wrote this lock had the same pid but started at another time.
    const [boot] = processIdentity(other.pid)!.split(' ');
    writeFileSync(join(dir, LOCK_FILE), `${other.pid}\n${boot} 1\n`);
    const lock = LogDirLock.acquire(dir);
    lock.release();
  },
);

test(
  'a lock of a live writer process is respected, in the old pid-only form too',
  { skip: !linux && 'needs /proc' },
  async (t) => {
    const dir = tempDir('lock-live');
    const writer = await sleeper();
    t.after(() => writer.kill());
    writeFileSync(join(dir, LOCK_FILE), `${writer.pid}\n${processIdentity(writer.pid)}\n`);
    assert.throws(() => LogDirLock.acquire(dir), RangeError);
    writeFileSync(join(dir, LOCK_FILE), `${writer.pid}\n`);
    assert.throws(() => LogDirLock.acquire(dir), new RegExp(`pid ${writer.pid}`));
  },
);
