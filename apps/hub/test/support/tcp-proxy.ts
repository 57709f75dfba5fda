import net from 'node:net';

/**
 * A loopback TCP proxy in front of a real server (PostgreSQL, Redis) that a test can cut and
 * restore, to make the server unreachable for one hub without stopping it for everyone else.
 */
export class TcpProxy {
  private server: net.Server | null = null;
  private sockets = new Set<net.Socket>();
  private mode: 'forward' | 'cut' | 'stall' | 'freeze' = 'forward';
  /** Open forwarded connections (client, upstream), so `freeze` can stop and restart their traffic. */
  private pairs = new Set<[net.Socket, net.Socket]>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<number> {
    this.server = net.createServer((client) => {
      if (this.mode === 'cut') return void client.resetAndDestroy();
      if (this.mode === 'stall' || this.mode === 'freeze') {
        // Accepted and never answered: what a partitioned network looks like to a client.
        this.sockets.add(client);
        client.on('close', () => this.sockets.delete(client));
        client.on('error', () => client.destroy());
        return;
      }
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      const pair: [net.Socket, net.Socket] = [client, upstream];
      this.pairs.add(pair);
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => {
        client.destroy();
        this.pairs.delete(pair);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port || this.port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /**
   * Drops every connection and resets each new one at once: the target looks down. The port stays
   * held (closing it would let a test running beside this one take it, and the hub would then
   * reach that process instead of nothing).
   */
  cut(): Promise<void> {
    this.mode = 'cut';
    this.dropAll();
    return Promise.resolve();
  }

  /** Drops every connection and then accepts new ones without ever answering: the target hangs. */
  stall(): void {
    this.mode = 'stall';
    this.dropAll();
  }

  /**
   * Packets dropped, connections kept: open connections stop carrying data (nothing is reset, so
   * a query in flight just waits) and new ones are accepted and never answered. `restore` lets the
   * open connections' traffic through again.
   */
  freeze(): void {
    this.mode = 'freeze';
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** Forwards again (after `cut`, `stall` or `freeze`). */
  restore(): Promise<number> {
    if (this.mode === 'freeze') for (const [client, upstream] of this.pairs) client.pipe(upstream).pipe(client);
    this.mode = 'forward';
    return Promise.resolve(this.port);
  }

  /** Drops every connection and releases the port. */
  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }

  private dropAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.pairs.clear();
  }
}
