import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect, type MqttClient } from 'mqtt';
import { findMosquitto, startTestBroker, type TestBrokerKind } from './mqtt-test-broker.js';
import { waitFor } from './wait-for.js';

const kinds: TestBrokerKind[] = findMosquitto() ? ['mosquitto', 'aedes'] : ['aedes'];

for (const kind of kinds) {
  test(`${kind} test broker relays messages and comes back on the same port after restart()`, async (t) => {
    const broker = await startTestBroker({ kind, log: (m) => t.diagnostic(m) });
    t.after(() => broker.stop());
    assert.equal(broker.kind, kind);
    assert.match(broker.url, /^mqtt:\/\/127\.0\.0\.1:\d+$/);

    const received: string[] = [];
    const client = connect(broker.url, { reconnectPeriod: 50, connectTimeout: 2000 });
    t.after(() => client.endAsync(true));
    client.on('error', () => undefined);
    client.on('message', (_topic, payload) => received.push(payload.toString()));
    await waitFor(() => client.connected, 'client connected');
    await client.subscribeAsync('test/echo', { qos: 1 });
    await client.publishAsync('test/echo', 'before', { qos: 1 });
    await waitFor(() => received.includes('before'), 'message before restart');

    const connects = countConnects(client);
    await broker.restart();
    await waitFor(() => connects.count > 0 && client.connected, 'client reconnected after restart');
    // The restarted broker starts empty; be sure the subscription is back before publishing.
    await client.subscribeAsync('test/echo', { qos: 1 });
    await client.publishAsync('test/echo', 'after', { qos: 1 });
    await waitFor(() => received.includes('after'), 'message after restart');
  });
}

test('MBRL_TEST_BROKER chooses the broker and rejects unknown values', async (t) => {
  const broker = await startTestBroker({
    env: { ...process.env, MBRL_TEST_BROKER: 'aedes' },
    log: (m) => t.diagnostic(m),
  });
  t.after(() => broker.stop());
  assert.equal(broker.kind, 'aedes');
  await assert.rejects(
    startTestBroker({ env: { MBRL_TEST_BROKER: 'hivemq' } }),
    /must be "aedes" or "mosquitto"/,
  );
});

function countConnects(client: MqttClient): { count: number } {
  const counter = { count: 0 };
  client.on('connect', () => counter.count++);
  return counter;
}
