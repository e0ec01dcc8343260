import assert from 'node:assert/strict';
import net from 'node:net';
import { test, type TestContext } from 'node:test';
import { TcpFaultProxy } from './tcp-fault-proxy.js';
import { waitFor } from './wait-for.js';

/** A server that records what each connection sent and how it ended; the proxy in front. */
async function rig(t: TestContext) {
  const received: string[] = [];
  const serverEnds: string[] = [];
  const serverSockets: net.Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    serverSockets.push(socket);
    socket.on('data', (d: Buffer) => received.push(d.toString()));
    socket.on('end', () => serverEnds.push('end'));
    socket.on('error', (err: NodeJS.ErrnoException) => serverEnds.push(err.code ?? err.message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  const proxy = await TcpFaultProxy.start({ targetPort: address.port });
  t.after(async () => {
    await proxy.close();
    for (const s of serverSockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const connectClient = async () => {
    const client = net.connect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true });
    const events: string[] = [];
    const data: string[] = [];
    client.on('data', (d: Buffer) => data.push(d.toString()));
    client.on('end', () => events.push('end'));
    client.on('error', (err: NodeJS.ErrnoException) => events.push(err.code ?? err.message));
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    return { client, events, data };
  };
  return { proxy, received, serverEnds, serverSockets, connectClient };
}

const text = (parts: string[]) => parts.join('');

test('bytes pass through both ways, and a FIN is passed on', async (t) => {
  const r = await rig(t);
  const c = await r.connectClient();
  c.client.write('hello');
  await waitFor(() => text(r.received) === 'hello', 'the server to receive hello');
  await waitFor(() => r.serverSockets.length === 1, 'server socket');
  r.serverSockets[0].write('back');
  await waitFor(() => text(c.data) === 'back', 'the client to receive back');
  c.client.end();
  await waitFor(() => r.serverEnds.includes('end'), 'the FIN to reach the server');
});

test('a partition holds bytes without closing anything; healing delivers them late, as TCP would', async (t) => {
  const r = await rig(t);
  const c = await r.connectClient();
  c.client.write('a');
  await waitFor(() => text(r.received) === 'a', 'a');
  r.proxy.partition();
  c.client.write('b');
  r.serverSockets[0].write('x');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(text(r.received), 'a', 'nothing crosses the partition');
  assert.deepEqual(c.data, []);
  assert.deepEqual(c.events, [], 'the client sees no close');
  r.proxy.heal();
  await waitFor(
    () => text(r.received) === 'ab' && text(c.data) === 'x',
    'held bytes delivered after healing',
  );
  assert.equal(r.proxy.stats.bytesDeliveredLate, 2);
});

test('a side that resets during a partition loses what it sent, and its peer is reset on healing', async (t) => {
  const r = await rig(t);
  const c = await r.connectClient();
  c.client.write('a');
  await waitFor(() => text(r.received) === 'a', 'a');
  r.proxy.partition();
  c.client.write('stale');
  await new Promise((resolve) => setTimeout(resolve, 50));
  c.client.resetAndDestroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(r.serverEnds, [], 'the reset does not cross the partition');
  r.proxy.heal();
  await waitFor(() => r.serverEnds.includes('ECONNRESET'), 'the server to be reset on healing');
  assert.equal(text(r.received), 'a', 'the stale bytes were never delivered');
  assert.equal(r.proxy.stats.bytesDiscarded, 5);
});

test('a connection made during a partition gets its upstream only when it heals', async (t) => {
  const r = await rig(t);
  r.proxy.partition();
  const c = await r.connectClient();
  c.client.write('early');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(r.serverSockets.length, 0, 'no upstream connection during the partition');
  r.proxy.heal();
  await waitFor(() => text(r.received) === 'early', 'the held bytes after healing');
});

test('drop() resets every connection on both sides', async (t) => {
  const r = await rig(t);
  const c = await r.connectClient();
  c.client.write('a');
  await waitFor(() => text(r.received) === 'a', 'a');
  r.proxy.drop();
  await waitFor(() => c.events.includes('ECONNRESET'), 'the client reset');
  await waitFor(() => r.serverEnds.includes('ECONNRESET'), 'the server reset');
  assert.equal(r.proxy.openConnections, 0);
});
