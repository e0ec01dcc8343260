import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InProcessBus } from './in-process-bus.js';
import { MemoryLogger } from './memory-logger.js';
import type { Float64Msg, StringMsg } from './messages.js';
import type { Subscription } from './node-api.js';

function newBus(): { bus: InProcessBus; log: MemoryLogger } {
  const log = new MemoryLogger('root');
  return { bus: new InProcessBus({ loggerFactory: log.factory }), log };
}

describe('InProcessBus delivery', () => {
  it('delivers the published object itself (zero-copy) to every subscriber', () => {
    const { bus } = newBus();
    const a = bus.createNode('a');
    const b = bus.createNode('b');
    const got: Float64Msg[] = [];
    a.createSubscription('std_msgs/msg/Float64', '/x', (m) => got.push(m));
    b.createSubscription('std_msgs/msg/Float64', 'x', (m) => got.push(m));
    const msg = { data: 1.5 };
    bus.createNode('pub').createPublisher('std_msgs/msg/Float64', '/x').publish(msg);
    assert.equal(got.length, 2);
    assert.equal(got[0], msg);
    assert.equal(got[1], msg);
  });

  it('delivers synchronously, in subscription-creation order', () => {
    const { bus } = newBus();
    const node = bus.createNode('n');
    const order: string[] = [];
    for (const name of ['s1', 's2', 's3']) {
      node.createSubscription('std_msgs/msg/String', '/t', (m) => order.push(`${name}:${m.data}`));
    }
    const pub = node.createPublisher('std_msgs/msg/String', '/t');
    pub.publish({ data: 'a' });
    pub.publish({ data: 'b' });
    assert.deepEqual(order, ['s1:a', 's2:a', 's3:a', 's1:b', 's2:b', 's3:b']);
  });

  it('delivers messages published inside a callback after the current delivery round (breadth-first)', () => {
    const { bus } = newBus();
    const node = bus.createNode('n');
    const order: string[] = [];
    const out = node.createPublisher('std_msgs/msg/String', '/b');
    node.createSubscription('std_msgs/msg/String', '/a', (m) => {
      order.push(`a1:${m.data}`);
      out.publish({ data: `from-${m.data}` });
      order.push(`a1-done:${m.data}`);
    });
    node.createSubscription('std_msgs/msg/String', '/a', (m) => order.push(`a2:${m.data}`));
    node.createSubscription('std_msgs/msg/String', '/b', (m) => order.push(`b:${m.data}`));
    node.createPublisher('std_msgs/msg/String', '/a').publish({ data: 'x' });
    assert.deepEqual(order, ['a1:x', 'a1-done:x', 'a2:x', 'b:from-x']);
  });

  it('delivers across topics in publish order', () => {
    const { bus } = newBus();
    const node = bus.createNode('n');
    const order: string[] = [];
    const pa = node.createPublisher('std_msgs/msg/String', '/a');
    const pb = node.createPublisher('std_msgs/msg/Float64', '/b');
    node.createSubscription('std_msgs/msg/Float64', '/b', (m) => order.push(`b${m.data}`));
    node.createSubscription('std_msgs/msg/String', '/a', (m) => {
      order.push(`a${m.data}`);
      if (m.data === '1') {
        // Both are queued behind each other, whatever their topics.
        pb.publish({ data: 2 });
        pa.publish({ data: '3' });
        pb.publish({ data: 4 });
      }
    });
    pa.publish({ data: '1' });
    assert.deepEqual(order, ['a1', 'b2', 'a3', 'b4']);
  });

  it('resolves relative and private topic names against the node', () => {
    const { bus } = newBus();
    const node = bus.createNode('ctrl', { namespace: '/robot' });
    assert.equal(node.createPublisher('std_msgs/msg/Float64', 'cmd').topic, '/robot/cmd');
    assert.equal(node.createPublisher('std_msgs/msg/Float64', '~/plan').topic, '/robot/ctrl/plan');
    assert.throws(
      () => node.createPublisher('std_msgs/msg/Float64', 'bad//name'),
      /invalid topic name 'bad\/\/name'/,
    );
  });

  it('refuses a second message type on a topic, naming topic and both types', () => {
    const { bus } = newBus();
    const node = bus.createNode('n');
    node.createPublisher('std_msgs/msg/Float64', '/x');
    assert.throws(
      () => node.createSubscription('std_msgs/msg/String', '/x', () => {}),
      (err: Error) =>
        err.message.includes("topic '/x'") &&
        err.message.includes("'std_msgs/msg/Float64'") &&
        err.message.includes("'std_msgs/msg/String'"),
    );
    assert.throws(
      () => node.createPublisher('std_msgs/msg/Bool', '/x'),
      /topic '\/x' has type 'std_msgs\/msg\/Float64'/,
    );
  });

  it('lets a topic change type once all its endpoints are gone', () => {
    const { bus } = newBus();
    const node = bus.createNode('n');
    node.createPublisher('std_msgs/msg/Float64', '/x').destroy();
    assert.equal(node.createPublisher('std_msgs/msg/String', '/x').typeName, 'std_msgs/msg/String');
  });

  it('counts subscriptions per topic', () => {
    const { bus } = newBus();
    const node = bus.createNode('n');
    const pub = node.createPublisher('std_msgs/msg/Float64', '/x');
    assert.equal(pub.subscriptionCount(), 0);
    const sub = node.createSubscription('std_msgs/msg/Float64', '/x', () => {});
    assert.equal(pub.subscriptionCount(), 1);
    sub.destroy();
    assert.equal(pub.subscriptionCount(), 0);
  });

  it('throws when publishing on a destroyed publisher', () => {
    const { bus } = newBus();
    const pub = bus.createNode('n').createPublisher('std_msgs/msg/Float64', '/x');
    pub.destroy();
    assert.throws(
      () => pub.publish({ data: 1 }),
      /publisher of node '\/n' on topic '\/x' has been destroyed/,
    );
  });
});

describe('InProcessBus QoS', () => {
  it('replays the last depth messages of a transient_local publisher to a transient_local late joiner', () => {
    const { bus } = newBus();
    const node = bus.createNode('n');
    const pub = node.createPublisher('std_msgs/msg/String', '/mode', {
      qos: { history: 'keep_last', depth: 2, reliability: 'reliable', durability: 'transient_local' },
    });
    for (const data of ['a', 'b', 'c']) pub.publish({ data });
    const late: string[] = [];
    node.createSubscription('std_msgs/msg/String', '/mode', (m) => late.push(m.data), { qos: 'latched' });
    assert.deepEqual(late, ['b', 'c']);
    const volatileLate: string[] = [];
    node.createSubscription('std_msgs/msg/String', '/mode', (m) => volatileLate.push(m.data));
    assert.deepEqual(volatileLate, []);
    pub.publish({ data: 'd' });
    assert.deepEqual(late, ['b', 'c', 'd']);
    assert.deepEqual(volatileLate, ['d']);
  });

  it('keeps no history for volatile publishers', () => {
    const { bus } = newBus();
    const node = bus.createNode('n');
    node.createPublisher('std_msgs/msg/String', '/t').publish({ data: 'old' });
    const got: StringMsg[] = [];
    node.createSubscription('std_msgs/msg/String', '/t', (m) => got.push(m), { qos: 'latched' });
    assert.equal(got.length, 0);
  });

  it('warns about QoS pairs that ROS 2 would not connect', () => {
    const { bus, log } = newBus();
    const node = bus.createNode('n');
    node.createPublisher('std_msgs/msg/Float64', '/s', { qos: 'sensorData' });
    node.createSubscription('std_msgs/msg/Float64', '/s', () => {});
    assert.equal(log.at('warn').length, 1);
    assert.match(log.at('warn')[0].message, /incompatible QoS on topic '\/s'.*reliable.*best_effort/);
  });
});

describe('InProcessBus failing callbacks', () => {
  it('logs, counts and isolates a throwing subscription callback', () => {
    const { bus, log } = newBus();
    const bad = bus.createNode('bad', { namespace: '/robot' });
    const good = bus.createNode('good');
    bad.createSubscription('std_msgs/msg/Float64', '/x', () => {
      throw new Error('boom');
    });
    const seen: number[] = [];
    good.createSubscription('std_msgs/msg/Float64', '/x', (m) => seen.push(m.data));
    const pub = good.createPublisher('std_msgs/msg/Float64', '/x');
    assert.doesNotThrow(() => pub.publish({ data: 1 }));
    pub.publish({ data: 2 });
    assert.deepEqual(seen, [1, 2]);
    const errors = log.at('error');
    assert.equal(errors.length, 2);
    assert.equal(errors[0].name, 'robot.bad');
    assert.match(errors[0].message, /node '\/robot\/bad'.*topic '\/x'.*std_msgs\/msg\/Float64.*boom/);
    const stats = bus.stats().topics['/x'];
    assert.equal(stats.published, 2);
    assert.equal(stats.delivered, 4);
    assert.equal(stats.callbackErrors, 2);
  });
});

describe('InProcessBus nodes', () => {
  it('rejects duplicate fully qualified node names, but not the same name in another namespace', () => {
    const { bus } = newBus();
    bus.createNode('ctrl', { namespace: '/robot' });
    bus.createNode('ctrl');
    assert.throws(
      () => bus.createNode('ctrl', { namespace: 'robot' }),
      /node named '\/robot\/ctrl' already exists/,
    );
    assert.deepEqual(bus.nodeNames(), ['/robot/ctrl', '/ctrl']);
  });

  it('applies parameter overrides given at node creation', () => {
    const { bus } = newBus();
    const node = bus.createNode('ctrl', { parameterOverrides: { rate_hz: 50 } });
    assert.equal(node.declareParameter('rate_hz', 20, { range: { min: 1, max: 100 } }), 50);
    assert.equal(node.setParameter('rate_hz', 500).successful, false);
    assert.equal(node.getParameter('use_sim_time'), false);
    assert.throws(() => node.getParameter('nope'), /parameter 'nope' of node '\/ctrl' is not declared/);
  });

  it('destroy() removes the node subscriptions, publishers and timers, and frees its name', (t) => {
    const { bus } = newBus();
    const node = bus.createNode('n');
    const other = bus.createNode('other');
    const got: number[] = [];
    node.createSubscription('std_msgs/msg/Float64', '/x', (m) => got.push(m.data));
    const own = node.createPublisher('std_msgs/msg/Float64', '/y');
    const timer = node.createTimer(10, () => {});
    t.after(() => timer.cancel()); // a failure here must not leave the test process hanging
    const pub = other.createPublisher('std_msgs/msg/Float64', '/x');
    pub.publish({ data: 1 });
    node.destroy();
    pub.publish({ data: 2 });
    assert.deepEqual(got, [1]);
    assert.equal(pub.subscriptionCount(), 0);
    assert.equal(timer.isCanceled(), true);
    assert.throws(() => own.publish({ data: 0 }), /destroyed/);
    assert.throws(() => node.createTimer(1, () => {}), /node '\/n' has been destroyed/);
    assert.equal(bus.stats().topics['/y'].publishers, 0);
    bus.createNode('n'); // the name is free again
  });

  it('stops delivering queued messages to a subscription destroyed mid-round', () => {
    const { bus } = newBus();
    const node = bus.createNode('n');
    const got: string[] = [];
    const later: { sub?: Subscription } = {};
    node.createSubscription('std_msgs/msg/String', '/t', () => later.sub?.destroy());
    later.sub = node.createSubscription('std_msgs/msg/String', '/t', (m) => got.push(m.data));
    node.createPublisher('std_msgs/msg/String', '/t').publish({ data: 'x' });
    assert.deepEqual(got, []);
  });

  it('shutdown() destroys every node and refuses new ones', async (t) => {
    const { bus } = newBus();
    const node = bus.createNode('n');
    const timer = node.createTimer(0.01, () => {});
    t.after(() => timer.cancel()); // a failure here must not leave the test process hanging
    await bus.shutdown();
    assert.equal(timer.isCanceled(), true);
    assert.deepEqual(bus.nodeNames(), []);
    assert.throws(() => bus.createNode('m'), /shut down/);
  });
});
