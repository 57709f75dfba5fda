import net from 'node:net';

/**
 * A loopback TCP proxy in front of a real server (PostgreSQL, Redis) that a test can cut and
 * restore, to make the server unreachable for one hub without stopping it for everyone else.
 */
export class TcpProxy {
  private server: net.Server | null = null;
  private sockets = new Set<net.Socket>();
  private stalled = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<number> {
    this.server = net.createServer((client) => {
      if (this.stalled) {
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
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(port || this.port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Drops every connection and stops listening: the target looks down. */
  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }

  /** Drops every connection and then accepts new ones without ever answering: the target hangs. */
  stall(): void {
    this.stalled = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Listens again on the same port (after `cut`), or forwards again (after `stall`). */
  async restore(): Promise<number> {
    if (this.stalled) {
      this.stalled = false;
      if (this.server) return this.port;
    }
    return this.start(this.port);
  }

  close(): Promise<void> {
    return this.cut();
  }
}
