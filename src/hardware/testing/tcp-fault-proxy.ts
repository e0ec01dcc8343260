/**
 * A TCP proxy for fault-injection tests: a client (e.g. the MQTT driver) connects to the
 * proxy instead of its server (the broker), and the test fails the network in between the
 * way real networks fail:
 *
 * - `partition()`: traffic is black-holed and nothing is closed. Bytes sent meanwhile are
 *   held, as the sender's TCP stack would hold them for retransmission; a close on either side
 *   is not passed on (its FIN or RST is lost too); new connections are accepted but get no
 *   upstream until the partition heals (their handshake goes unanswered).
 * - `heal()`: the network is back. A connection whose both ends are still open gets its held
 *   bytes delivered, late, exactly as TCP would deliver them. A side that reset its socket
 *   (RST) during the partition lost what it had sent (a reset discards the send queue) and its
 *   peer is reset now; a side that closed gracefully (FIN) gets its bytes delivered, then the
 *   close.
 * - `drop()`: every current connection is reset at once (a NAT or firewall forgetting them).
 */
import net from 'node:net';

type SideState = 'open' | 'ended' | 'reset';

interface Side {
  socket: net.Socket;
  state: SideState;
  /** Bytes this side sent that have not reached the other side yet. */
  held: Buffer[];
}

interface Connection {
  client: Side;
  /** Null until connected upstream (a connection accepted during a partition waits). */
  server: Side | null;
  /** True once both directions are finished with; the connection is forgotten. */
  done: boolean;
}

export interface TcpFaultProxyOptions {
  /** Where the proxy forwards to. */
  targetHost?: string;
  targetPort: number;
  /** Listening port; default a free one. */
  listenPort?: number;
}

export interface TcpFaultProxyStats {
  connectionsAccepted: number;
  /** Bytes delivered after a partition healed (late, as TCP delivers them). */
  bytesDeliveredLate: number;
  /** Bytes lost with a side that reset its socket during a partition. */
  bytesDiscarded: number;
  connectionsReset: number;
}

export class TcpFaultProxy {
  readonly stats: TcpFaultProxyStats = {
    connectionsAccepted: 0,
    bytesDeliveredLate: 0,
    bytesDiscarded: 0,
    connectionsReset: 0,
  };
  private partitioned = false;
  private readonly connections = new Set<Connection>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly options: TcpFaultProxyOptions,
  ) {}

  static async start(options: TcpFaultProxyOptions): Promise<TcpFaultProxy> {
    // Half-open sockets: a FIN from one side must not be answered by the proxy on its own.
    const server = net.createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listenPort ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
    const proxy = new TcpFaultProxy(server, address.port, options);
    server.on('connection', (socket) => proxy.accept(socket));
    return proxy;
  }

  /** The proxy's address as an MQTT broker URL. */
  get mqttUrl(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get isPartitioned(): boolean {
    return this.partitioned;
  }

  /** Open connections (both ends or one end still there). */
  get openConnections(): number {
    return this.connections.size;
  }

  partition(): void {
    this.partitioned = true;
  }

  heal(): void {
    if (!this.partitioned) return;
    this.partitioned = false;
    for (const conn of [...this.connections]) {
      const { client, server } = conn;
      if (!server) {
        if (client.state === 'reset') this.forget(conn, client.held);
        else this.connectUpstream(conn, true);
        continue;
      }
      if (client.state === 'reset' || server.state === 'reset') {
        this.resetBoth(conn);
        continue;
      }
      this.flush(conn, client, server, true);
      this.flush(conn, server, client, true);
    }
  }

  /** Resets every connection now; both ends see ECONNRESET. */
  drop(): void {
    for (const conn of [...this.connections]) this.resetBoth(conn);
  }

  async close(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.stats.connectionsAccepted++;
    socket.setNoDelay(true);
    const conn: Connection = { client: { socket, state: 'open', held: [] }, server: null, done: false };
    this.connections.add(conn);
    this.wire(conn, conn.client, () => conn.server);
    if (!this.partitioned) this.connectUpstream(conn);
  }

  private connectUpstream(conn: Connection, late = false): void {
    const socket = net.connect({
      host: this.options.targetHost ?? '127.0.0.1',
      port: this.options.targetPort,
      allowHalfOpen: true,
    });
    socket.setNoDelay(true);
    const server: Side = { socket, state: 'open', held: [] };
    conn.server = server;
    this.wire(conn, server, () => conn.client);
    socket.once('connect', () => {
      // Bytes the client sent while this connect was in flight; late only after a partition.
      if (!this.partitioned) this.flush(conn, conn.client, server, late);
    });
  }

  /** Routes what `from` sends: straight through, or held while partitioned or not connected. */
  private wire(conn: Connection, from: Side, peer: () => Side | null): void {
    const { socket } = from;
    socket.on('data', (chunk: Buffer) => {
      const to = peer();
      if (this.partitioned || !to || to.socket.connecting || from.held.length > 0) from.held.push(chunk);
      else if (to.state === 'open') to.socket.write(chunk);
    });
    socket.on('end', () => {
      from.state = 'ended';
      const to = peer();
      if (!this.partitioned && to && !to.socket.connecting) this.flush(conn, from, to, false);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset (or any socket error) loses what this side had in flight.
      from.state = 'reset';
      if (!this.partitioned || err.code !== 'ECONNRESET') this.resetBoth(conn);
    });
    socket.on('close', () => {
      if (from.state === 'open') from.state = 'reset';
      if (!this.partitioned && from.state === 'reset') this.resetBoth(conn);
      this.maybeDone(conn);
    });
  }

  /** Delivers what `from` holds to `to`, then passes on its FIN if it ended. */
  private flush(conn: Connection, from: Side, to: Side, late: boolean): void {
    if (to.state === 'reset' || to.socket.destroyed) {
      this.stats.bytesDiscarded += bytes(from.held);
      from.held = [];
      return;
    }
    const held = from.held;
    from.held = [];
    for (const chunk of held) to.socket.write(chunk);
    if (late) this.stats.bytesDeliveredLate += bytes(held);
    if (from.state === 'ended' && !to.socket.writableEnded) to.socket.end();
    this.maybeDone(conn);
  }

  private resetBoth(conn: Connection): void {
    if (conn.done) return;
    this.stats.connectionsReset++;
    for (const side of [conn.client, conn.server]) {
      if (!side || side.socket.destroyed) continue;
      side.state = 'reset';
      if (side.socket.connecting) side.socket.destroy();
      else side.socket.resetAndDestroy();
    }
    this.forget(conn, [...conn.client.held, ...(conn.server?.held ?? [])]);
  }

  /** Drops the connection's held bytes (counted) and forgets it; its sockets are closed already. */
  private forget(conn: Connection, discarded: Buffer[]): void {
    this.stats.bytesDiscarded += bytes(discarded);
    conn.client.held = [];
    if (conn.server) conn.server.held = [];
    conn.done = true;
    this.connections.delete(conn);
    if (!conn.client.socket.destroyed) conn.client.socket.resetAndDestroy();
  }

  private maybeDone(conn: Connection): void {
    if (conn.client.socket.destroyed && (!conn.server || conn.server.socket.destroyed)) {
      conn.done = true;
      this.connections.delete(conn);
    }
  }
}

function bytes(chunks: Buffer[]): number {
  return chunks.reduce((n, c) => n + c.length, 0);
}
