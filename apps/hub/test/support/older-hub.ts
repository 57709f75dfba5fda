/**
 * A stand-in for a hub of the release before protocol 3: it speaks protocols 1 and 2 only and
 * refuses any other version as this release's hubs do (PROTOCOL_UNSUPPORTED, `details.supported`),
 * knows `agent:register` and `event:publish`, and answers any other event NOT_FOUND, as an older
 * hub answers an unknown one. The SDK's tests start it in-process (`startOlderHub`); clients in
 * other languages (clients/python/tests) run it as a process:
 *
 *   node --import tsx apps/hub/test/support/older-hub.ts   (prints `listening <port>`)
 *
 * over HTTP, GET /offered answers the protocol each handshake offered, in order, and POST /drop
 * closes every connection's transport (a network cut: clients reconnect on their own).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Server } from 'socket.io';
import { agentInfo } from '@agent-hub/core';
import { AGENTS_NAMESPACE } from '@agent-hub/protocol';

export interface OlderHub {
  url: string;
  /** The protocol each handshake offered, in order (null: none). */
  offered: unknown[];
  /** Every event agents sent, in order. */
  received: string[];
  /** Closes every connection's transport, as a network cut would. */
  drop(): void;
  close(): Promise<void>;
}

export async function startOlderHub(): Promise<OlderHub> {
  const offered: unknown[] = [];
  const received: string[] = [];
  const http = createServer((req, res) => {
    if (req.url === '/offered') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(offered));
    if (req.url === '/drop' && req.method === 'POST') {
      drop();
      return res.writeHead(204).end();
    }
    res.writeHead(404).end();
  });
  const io = new Server(http);
  const agents = io.of(AGENTS_NAMESPACE);
  const drop = () => {
    for (const socket of agents.sockets.values()) socket.conn.close();
  };
  agents.use((socket, next) => {
    const protocol = (socket.handshake.auth as { protocol?: unknown }).protocol;
    offered.push(protocol ?? null);
    if (protocol === 1 || protocol === 2 || protocol === undefined) return next();
    const err = new Error('PROTOCOL_UNSUPPORTED') as Error & { data: unknown };
    err.data = { code: 'PROTOCOL_UNSUPPORTED', message: `protocol ${String(protocol)} is not supported`, details: { supported: [1, 2] } };
    next(err);
  });
  let offset = 0;
  agents.on('connection', (socket) => {
    const agentId = String((socket.handshake.auth as { agentId?: unknown }).agentId);
    socket.onAny((event: string, ...args: unknown[]) => {
      received.push(event);
      const ack = args.at(-1);
      if (typeof ack !== 'function') return;
      if (event === 'agent:register') return ack({ ok: true, data: agentInfo(agentId) });
      if (event === 'event:publish') {
        const p = args[0] as { id?: string };
        return ack({ ok: true, data: { id: p.id, offset: ++offset, durable: true, duplicate: false } });
      }
      ack({ ok: false, error: { code: 'NOT_FOUND', message: `unknown event "${event}"` } });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    offered,
    received,
    drop,
    close: () => new Promise<void>((resolve) => void io.close(() => resolve())),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const hub = await startOlderHub();
  console.log(`listening ${new URL(hub.url).port}`);
  process.on('SIGTERM', () => void hub.close().then(() => process.exit(0)));
}
