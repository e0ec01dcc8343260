import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { InProcessBus } from './in-process-bus.js';
import { MemoryLogger } from './memory-logger.js';
import type { TimerTick } from './node-api.js';

const busModule = new URL('./in-process-bus.js', import.meta.url).href;

/** Runs an ES module snippet in a fresh Node process; a hang shows up as a kill, not a stuck test run. */
function runChild(body: string): { status: number | null; signal: NodeJS.Signals | null; stdout: string } {
  const script = `import { InProcessBus } from ${JSON.stringify(busModule)};\n${body}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 10_000,
    encoding: 'utf8',
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout };
}

function ticksUntil(count: number, periodSeconds: number, onTick?: (t: TimerTick, i: number) => void) {
  const bus = new InProcessBus({ loggerFactory: new MemoryLogger('root').factory });
  const node = bus.createNode('wall');
  const ticks: TimerTick[] = [];
  const done = new Promise<TimerTick[]>((resolve, reject) => {
    const guard = setTimeout(() => {
      timer.cancel();
      reject(new Error(`only ${ticks.length} ticks in 5 s`));
    }, 5000);
    const timer = node.createTimer(periodSeconds, (t) => {
      ticks.push(t);
      onTick?.(t, ticks.length - 1);
      if (ticks.length === count) {
        timer.cancel();
        clearTimeout(guard);
        resolve(ticks);
      }
    });
  });
  return { bus, done };
}

describe('wall timers', () => {
  it('fire at roughly their period, never before the deadline, on a drift-free grid', async (t) => {
    const period = 0.02;
    const started = Date.now();
    const { bus, done } = ticksUntil(5, period);
    t.after(() => bus.shutdown());
    const ticks = await done;
    const elapsed = (Date.now() - started) / 1000;
    assert.ok(elapsed >= 5 * period - 0.005, `5 ticks took only ${elapsed}s`);
    assert.ok(elapsed < 3, `5 ticks of ${period}s took ${elapsed}s`);
    let index = 0;
    for (const tick of ticks) {
      index += 1 + tick.missed;
      assert.ok(tick.actual >= tick.expected - 1e-4, `fired early: ${tick.actual} < ${tick.expected}`);
      // Deadlines sit exactly on start + k * period, whatever the callback latency.
      const k = (tick.expected - ticks[0].expected) / period;
      assert.ok(Math.abs(k - Math.round(k)) < 1e-3, `expected ${tick.expected} is off the period grid`);
    }
    assert.ok(Math.abs(ticks[4].expected - ticks[0].expected - (index - 1) * period) < 1e-4);
  });

  it('fires once after an overrun and reports the missed deadlines', async (t) => {
    const busyUntil = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const { bus, done } = ticksUntil(2, 0.01, (_t, i) => {
      if (i === 0) busyUntil(60);
    });
    t.after(() => bus.shutdown());
    const ticks = await done;
    assert.equal(ticks[0].missed, 0);
    assert.ok(ticks[1].missed >= 3, `missed ${ticks[1].missed}`);
    assert.ok(ticks[1].expected - ticks[0].expected >= 0.04);
  });

  it('keeps running after a callback throws, logging and counting the error', async (t) => {
    const log = new MemoryLogger('root');
    const bus = new InProcessBus({ loggerFactory: log.factory });
    t.after(() => bus.shutdown());
    const node = bus.createNode('flaky');
    let calls = 0;
    await new Promise<void>((resolve) => {
      const timer = node.createTimer(0.005, () => {
        calls += 1;
        if (calls === 3) {
          timer.cancel();
          resolve();
        }
        throw new Error(`fail ${calls}`);
      });
    });
    assert.equal(calls, 3);
    assert.deepEqual(bus.stats().timerErrors, { '/flaky': 3 });
    assert.match(log.at('error')[0].message, /timer callback of node '\/flaky' threw: fail 1/);
  });

  it('stops when cancelled from its own callback', async (t) => {
    const bus = new InProcessBus({ loggerFactory: new MemoryLogger('root').factory });
    t.after(() => bus.shutdown());
    let calls = 0;
    const timer = bus.createNode('n').createTimer(0.005, () => {
      calls += 1;
      timer.cancel();
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(calls, 1);
    assert.equal(timer.isCanceled(), true);
  });

  it('rejects non-positive periods', (t) => {
    const bus = new InProcessBus({ loggerFactory: new MemoryLogger('root').factory });
    t.after(() => bus.shutdown());
    const node = bus.createNode('n');
    assert.throws(() => node.createTimer(0, () => {}), /timer period must be a positive finite number/);
    assert.throws(() => node.createTimer(Number.NaN, () => {}), /got NaN/);
  });
});

describe('process lifetime', () => {
  it('a live wall timer keeps the process running (like rclnodejs spin)', () => {
    const r = runChild(`
      let ticks = 0;
      new InProcessBus().createNode('n').createTimer(0.01, () => { ticks += 1; });
      setTimeout(() => { console.log(ticks); process.exit(42); }, 300).unref();
    `);
    assert.equal(r.signal, null);
    assert.equal(r.status, 42, 'process exited before the timer was cancelled');
    assert.ok(Number(r.stdout) >= 3, `only ${r.stdout.trim()} ticks in 300 ms`);
  });

  it('bus.shutdown() cancels every timer so the process exits', () => {
    const r = runChild(`
      const bus = new InProcessBus();
      const a = bus.createNode('a');
      const b = bus.createNode('b', { useSimTime: true });
      b.createTimer(0.5, () => {});
      let ticks = 0;
      a.createTimer(0.01, () => {
        ticks += 1;
        if (ticks === 2) void bus.shutdown();
      });
      a.createTimer(3600, () => {});
      process.on('exit', () => console.log('exited after', ticks));
    `);
    assert.equal(r.signal, null, 'process was killed: shutdown left a timer running');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /exited after 2/);
  });
});

describe('precise wall timer', () => {
  it('never fires before its deadline and keeps the period', async () => {
    const bus = new InProcessBus({ loggerFactory: new MemoryLogger('root').factory });
    const ticks: TimerTick[] = [];
    await new Promise<void>((resolve) => {
      const timer = bus.createNode('control').createTimer(
        0.01,
        (t) => {
          ticks.push(t);
          if (ticks.length === 20) {
            timer.cancel();
            resolve();
          }
        },
        { precise: true },
      );
    });
    await bus.shutdown();
    for (const t of ticks) assert.ok(t.actual >= t.expected - 1e-6, `fired ${t.expected - t.actual} s early`);
    const expected = ticks.map((t) => t.expected);
    for (let i = 1; i < expected.length; i++)
      assert.ok(
        Math.abs(expected[i] - expected[i - 1] - 0.01 * Math.round((expected[i] - expected[i - 1]) / 0.01)) <
          1e-6,
      );
  });
});
