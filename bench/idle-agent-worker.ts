/**
 * A fleet of idle connections in one process, for bench/health.ts and bench/fleet.ts: SDK agents
 * that connect, register, and then only answer the hub's heartbeats (and liveness probes, if the
 * hub sends any); or, for the baseline, bare socket.io-client sockets to the bare relay, answering
 * its heartbeats.
 */
import { io } from 'socket.io-client';
import { connectAgent, HubError } from '@agent-hub/sdk';
import { serveWorker } from './worker-rpc.ts';

interface IdleConnection {
  readonly connected: boolean;
  close(): unknown;
}

interface ConnectArgs {
  mode: 'hub' | 'bare';
  url: string;
  agents: Array<{ agentId: string; token: string }>;
  /**
   * Handshakes in flight at once. The default (25) measures steady connecting, not a storm;
   * `concurrency >= agents.length` is a connect storm: every connection starts at once.
   */
  concurrency?: number;
}

export interface ConnectResult {
  connected: number;
  ms: number;
  /** Refusals with a hub error code, by code (the SDK retries the transient ones). */
  typed: Record<string, number>;
  /** Connect failures without a code (network errors, timeouts), by message. */
  untyped: Record<string, number>;
  /** When each connection was in (ms after this worker started connecting), ascending. */
  inAtMs: number[];
}

let clients: IdleConnection[] = [];
/** Connections the server dropped after they were in, by reason (an idle agent should see none). */
const drops: Record<string, number> = {};

async function bareSocket(url: string, onError: (err: Error) => void): Promise<IdleConnection> {
  const s = io(url, { transports: ['websocket'], forceNew: true });
  await new Promise<void>((resolve) => {
    s.once('connect', () => resolve());
    // socket.io-client retries a failed connect itself; count each failure, keep waiting.
    s.on('connect_error', onError);
  });
  return {
    get connected() {
      return s.connected;
    },
    close: () => s.close(),
  };
}

async function connect(a: ConnectArgs): Promise<ConnectResult> {
  const t0 = performance.now();
  const typed: Record<string, number> = {};
  const untyped: Record<string, number> = {};
  const count = (err: unknown) => {
    if (err instanceof HubError) typed[err.code] = (typed[err.code] ?? 0) + 1;
    else {
      // socket.io-client's transport errors carry the underlying one (ECONNRESET, an HTTP status…).
      const cause = (err as { description?: { message?: unknown; error?: { message?: unknown } } } | null)?.description;
      const detail = cause?.error?.message ?? cause?.message;
      const msg = (err instanceof Error ? err.message : String(err)) + (typeof detail === 'string' && detail ? ` (${detail})` : '');
      untyped[msg] = (untyped[msg] ?? 0) + 1;
    }
  };
  const queue = [...a.agents];
  const inAtMs: number[] = [];
  const lane = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      if (a.mode === 'bare') {
        clients.push(await bareSocket(a.url, count));
        inAtMs.push(performance.now() - t0);
        continue;
      }
      try {
        const c = await connectAgent({ url: a.url, agentId: next.agentId, token: next.token, name: next.agentId, onConnectRetry: count });
        c.on('disconnected', (reason: string) => void (drops[reason] = (drops[reason] ?? 0) + 1));
        clients.push(c);
        inAtMs.push(performance.now() - t0);
      } catch (err) {
        count(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(a.concurrency ?? 25, a.agents.length) }, lane));
  return { connected: clients.filter((c) => c.connected).length, ms: performance.now() - t0, typed, untyped, inAtMs };
}

async function closeAll(): Promise<void> {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
}

serveWorker(
  {
    connect,
    connected: () => clients.filter((c) => c.connected).length,
    drops: () => ({ ...drops }),
    close: closeAll,
  },
  closeAll,
);
