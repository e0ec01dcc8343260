import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InProcessBus } from '../in-process-bus.js';
import { ScopedNode } from './scoped-node.js';

test('destroying a scope releases its publishers, subscriptions and timers but not the node', async () => {
  const bus = new InProcessBus();
  const node = bus.createNode('managed');
  const other = bus.createNode('other');
  const got: string[] = [];
  const scope = new ScopedNode(node);
  scope.createSubscription('std_msgs/msg/String', 'in', (m) => got.push(m.data));
  const pub = scope.createPublisher('std_msgs/msg/String', 'out');
  const timer = scope.createTimer(0.01, () => undefined);
  const outside = other.createPublisher('std_msgs/msg/String', 'in');
  outside.publish({ data: 'a' });
  assert.deepEqual(got, ['a']);
  scope.destroy();
  outside.publish({ data: 'b' });
  assert.deepEqual(got, ['a'], 'the scope subscription was released');
  assert.equal(timer.isCanceled(), true);
  assert.throws(() => pub.publish({ data: 'x' }), /destroyed/);
  assert.throws(() => scope.createTimer(0.01, () => undefined), /scope of node 'managed' has been destroyed/);
  // The node lives on: a new scope builds on it again.
  const again = new ScopedNode(node);
  again.createSubscription('std_msgs/msg/String', 'in', (m) => got.push(m.data));
  outside.publish({ data: 'c' });
  assert.deepEqual(got, ['a', 'c']);
  await bus.shutdown();
});

test('parameters outlive a scope: declaring again returns the current value', async () => {
  const bus = new InProcessBus();
  const node = bus.createNode('managed', { parameterOverrides: { rate: 50 } });
  const first = new ScopedNode(node);
  assert.equal(first.declareParameter('rate', 25), 50);
  assert.equal(first.setParameter('rate', 40).successful, true);
  first.destroy();
  assert.equal(new ScopedNode(node).declareParameter('rate', 25), 40);
  await bus.shutdown();
});

test('entities destroyed on their own leave the scope (no growth over lifecycle cycles)', async () => {
  const bus = new InProcessBus();
  const scope = new ScopedNode(bus.createNode('managed'));
  for (let i = 0; i < 100; i++) {
    scope.createTimer(0.01, () => undefined).cancel();
    scope.createPublisher('std_msgs/msg/String', 'out').destroy();
    scope.createSubscription('std_msgs/msg/String', 'in', () => undefined).destroy();
  }
  assert.equal(scope.ownedCount, 0);
  scope.createTimer(0.01, () => undefined);
  assert.equal(scope.ownedCount, 1);
  scope.destroy();
  assert.equal(scope.ownedCount, 0);
  await bus.shutdown();
});
