import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { freePort } from './hub-process.ts';

export const REDIS_SERVER_BIN = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

/**
 * A throw-away `redis-server` without persistence on a port of its own, that a test can SIGKILL
 * and start again on the same port — empty, as a Redis without persistence comes back.
 */
export class RedisServerProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  output = '';

  private constructor(readonly port: number) {}

  static available(): boolean {
    return existsSync(REDIS_SERVER_BIN);
  }

  static async start(): Promise<RedisServerProcess> {
    const server = new RedisServerProcess(await freePort());
    await server.spawn();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async spawn(): Promise<void> {
    const child = spawn(
      REDIS_SERVER_BIN,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    this.output = '';
    child.stdout!.on('data', (d) => (this.output = (this.output + d).slice(-10_000)));
    child.stderr!.on('data', (d) => (this.output = (this.output + d).slice(-10_000)));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-server exited ${child.exitCode}:\n${this.output}`);
      if (await this.pings()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server not answering within 10 s:\n${this.output}`);
  }

  /** SIGKILL: the data is gone, connections drop at once. */
  async kill(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
    this.child = null;
  }

  /** Kill, then start an empty server on the same port. */
  async restart(): Promise<void> {
    await this.kill();
    await this.spawn();
  }

  async stop(): Promise<void> {
    await this.kill();
  }

  private async pings(): Promise<boolean> {
    const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }
}
