import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InProcessBus } from './in-process-bus.js';
import { MemoryLogger } from './memory-logger.js';
import type { TimerTick } from './node-api.js';
import { timeFromSeconds, timeToSeconds } from './time.js';

function setup(): { bus: InProcessBus; log: MemoryLogger; tick: (seconds: number) => void } {
  const log = new MemoryLogger('root');
  const bus = new InProcessBus({ loggerFactory: log.factory });
  const clockPub = bus
    .createNode('sim')
    .createPublisher('rosgraph_msgs/msg/Clock', '/clock', { qos: 'clock' });
  return { bus, log, tick: (seconds) => clockPub.publish({ clock: timeFromSeconds(seconds) }) };
}

describe('sim time', () => {
  it('reads 0 before the first /clock message, then follows /clock', () => {
    const { bus, tick } = setup();
    const node = bus.createNode('ctrl', { useSimTime: true });
    assert.equal(node.clock.isSimTime, true);
    assert.deepEqual(node.now(), { sec: 0, nanosec: 0 });
    tick(3.25);
    assert.deepEqual(node.now(), { sec: 3, nanosec: 250_000_000 });
    assert.equal(bus.createNode('wall').clock.isSimTime, false);
  });

  it('enables sim time from a use_sim_time parameter override', () => {
    const { bus } = setup();
    const node = bus.createNode('ctrl', { parameterOverrides: { use_sim_time: true } });
    assert.equal(node.clock.isSimTime, true);
    assert.equal(node.getParameter('use_sim_time'), true);
    assert.throws(
      () => bus.createNode('bad', { parameterOverrides: { use_sim_time: 'yes' } }),
      /parameter 'use_sim_time' of node '\/bad': expected boolean/,
    );
  });

  it('fires a sim timer exactly once per period as /clock advances by the period', () => {
    const { bus, tick } = setup();
    const node = bus.createNode('ctrl', { useSimTime: true });
    const ticks: TimerTick[] = [];
    const nowInCallback: number[] = [];
    node.createTimer(0.1, (t) => {
      ticks.push(t);
      nowInCallback.push(timeToSeconds(node.now()));
    });
    // k * 0.1 in floats is not exact (0.30000000000000004): deadlines must still be hit.
    for (let k = 1; k <= 30; k++) tick(k * 0.1);
    assert.equal(ticks.length, 30);
    ticks.forEach((t, i) => {
      assert.ok(Math.abs(t.expected - (i + 1) * 0.1) < 1e-9, `tick ${i} expected ${t.expected}`);
      assert.equal(t.missed, 0);
      assert.equal(t.actual, nowInCallback[i]);
      assert.ok(Math.abs(nowInCallback[i] - (i + 1) * 0.1) < 1e-9);
    });
  });

  it('does not fire between deadlines, and fires once with missed ticks on a jump', () => {
    const { bus, tick } = setup();
    const node = bus.createNode('ctrl', { useSimTime: true });
    const ticks: TimerTick[] = [];
    node.createTimer(0.1, (t) => ticks.push(t));
    tick(0.05);
    assert.equal(ticks.length, 0);
    tick(0.1);
    assert.equal(ticks.length, 1);
    tick(0.15);
    assert.equal(ticks.length, 1);
    tick(0.65); // deadlines 0.2 .. 0.6 are due: one call, four missed
    assert.equal(ticks.length, 2);
    assert.equal(ticks[1].missed, 4);
    assert.ok(Math.abs(ticks[1].expected - 0.6) < 1e-9);
    tick(0.7);
    assert.equal(ticks.length, 3);
    assert.equal(ticks[2].missed, 0);
  });

  it('starts a timer one period after its creation time', () => {
    const { bus, tick } = setup();
    const node = bus.createNode('ctrl', { useSimTime: true });
    tick(5);
    const fired: number[] = [];
    node.createTimer(1, (t) => fired.push(t.expected));
    tick(5.5);
    tick(6);
    tick(7);
    assert.deepEqual(fired, [6, 7]);
  });

  it('fires due timers in creation order, before /clock subscribers, and queues what they publish', () => {
    const { bus, tick } = setup();
    const a = bus.createNode('a', { useSimTime: true });
    const b = bus.createNode('b', { useSimTime: true });
    const order: string[] = [];
    const cmd = a.createPublisher('std_msgs/msg/Float64', '/cmd');
    b.createSubscription('std_msgs/msg/Float64', '/cmd', (m) => order.push(`cmd ${m.data}`));
    b.createSubscription('rosgraph_msgs/msg/Clock', '/clock', (m) => order.push(`clock ${m.clock.sec}`), {
      qos: 'clock',
    });
    b.createTimer(1, () => order.push('timer b'));
    a.createTimer(1, (t) => {
      order.push('timer a');
      cmd.publish({ data: t.expected });
    });
    tick(1);
    assert.deepEqual(order, ['timer b', 'timer a', 'clock 1', 'cmd 1']);
  });

  it('keeps a throwing sim timer running, logging and counting the error', () => {
    const { bus, log, tick } = setup();
    const node = bus.createNode('ctrl', { useSimTime: true });
    let calls = 0;
    node.createTimer(1, () => {
      calls += 1;
      throw new Error('tick failed');
    });
    tick(1);
    tick(2);
    assert.equal(calls, 2);
    assert.deepEqual(bus.stats().timerErrors, { '/ctrl': 2 });
    assert.match(log.at('error')[0].message, /timer callback of node '\/ctrl' threw: tick failed/);
  });

  it('stops firing cancelled timers, and restarts the schedule when time goes backwards', () => {
    const { bus, tick } = setup();
    const node = bus.createNode('ctrl', { useSimTime: true });
    const fired: number[] = [];
    const cancelled: number[] = [];
    node.createTimer(1, (t) => fired.push(t.expected));
    node.createTimer(1, (t) => cancelled.push(t.expected)).cancel();
    tick(3);
    tick(0.5); // simulator reset
    tick(1);
    tick(1.5);
    assert.deepEqual(fired, [3, 1.5]);
    assert.deepEqual(cancelled, []);
  });

  it('does not drive wall-time timers from /clock', (t) => {
    const { bus, tick } = setup();
    let calls = 0;
    const timer = bus.createNode('wall').createTimer(100, () => (calls += 1));
    t.after(() => timer.cancel());
    tick(1000);
    assert.equal(calls, 0);
  });
});
