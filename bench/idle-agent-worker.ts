/**
 * A fleet of idle connections in one process, for bench/health.ts: SDK agents that connect,
 * register, and then only answer the hub's heartbeats (and liveness probes, if the hub sends any);
 * or, for the baseline, bare socket.io-client sockets to the bare relay, answering its heartbeats.
 */
import { io } from 'socket.io-client';
import { connectAgent } from '@agent-hub/sdk';
import { serveWorker } from './worker-rpc.ts';

interface IdleConnection {
  readonly connected: boolean;
  close(): unknown;
}

interface ConnectArgs {
  mode: 'hub' | 'bare';
  url: string;
  agents: Array<{ agentId: string; token: string }>;
}

// Handshakes in small waves: a thousand at once would measure a connection storm, not idling.
const CONCURRENCY = 25;

let clients: IdleConnection[] = [];

async function bareSocket(url: string): Promise<IdleConnection> {
  const s = io(url, { transports: ['websocket'], forceNew: true });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('connect_error', reject);
  });
  return { get connected() { return s.connected; }, close: () => s.close() };
}

async function connect(a: ConnectArgs): Promise<{ connected: number; ms: number }> {
  const t0 = performance.now();
  const queue = [...a.agents];
  const lane = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      clients.push(
        a.mode === 'bare'
          ? await bareSocket(a.url)
          : await connectAgent({ url: a.url, agentId: next.agentId, token: next.token, name: next.agentId }),
      );
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return { connected: clients.filter((c) => c.connected).length, ms: performance.now() - t0 };
}

async function closeAll(): Promise<void> {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
}

serveWorker(
  {
    connect,
    connected: () => clients.filter((c) => c.connected).length,
    close: closeAll,
  },
  closeAll,
);
