import { afterAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { connectAgent } from '@agent-hub/sdk';
import { createTestDatabaseOrSkip, type TestDatabase } from '@agent-hub/store';
import { AGENTS_NAMESPACE, PROTOCOL_VERSION, type HubEvent } from '@agent-hub/protocol';
import { HubProcess } from './support/hub-process.ts';

const pg: TestDatabase | null = await createTestDatabaseOrSkip('raw client reconnect (PostgreSQL)');
afterAll(async () => pg?.drop());

/**
 * A plain socket.io-client written from docs/protocol.md's "Reconnecting (normative)" section,
 * with no SDK: it must come back by itself after a graceful restart and miss nothing.
 */
function rawAgent(url: string, agentId: string, token: string) {
  const handled = new Map<string, number>();
  const state = {
    highest: null as number | null,
    watermark: null as number | null,
    shutdowns: [] as number[],
    reasons: [] as string[],
    registrations: 0,
  };
  const resume = () => (state.highest === null ? undefined : Math.min(state.highest, state.watermark ?? state.highest));
  const socket: Socket = io(url + AGENTS_NAMESPACE, {
    // Step 4: the handshake carries the protocol version and the resume point R.
    auth: (cb) => cb({ agentId, token, protocol: PROTOCOL_VERSION, lastOffset: resume() }),
    transports: ['websocket'],
    reconnectionDelay: 500,
    reconnectionDelayMax: 1500,
  });
  let held: HubEvent[] | null = null;
  const take = (e: HubEvent) => {
    if (held) return void held.push(e);
    if (!handled.has(e.id)) state.highest = Math.max(state.highest ?? 0, e.offset);
    handled.set(e.id, (handled.get(e.id) ?? 0) + 1);
  };
  socket.on('event', take);
  socket.on('events', (list: HubEvent[]) => list.forEach(take));
  socket.on('event:watermark', (p: { offset: number }) => (state.watermark = p.offset));
  // Step 3: the first attempt waits exactly the announced delay.
  socket.on('hub:shutdown', (p: { reconnectAfterMs: number }) => {
    state.shutdowns.push(p.reconnectAfterMs);
    socket.io.randomizationFactor(0);
    socket.io.reconnectionDelay(p.reconnectAfterMs);
  });
  socket.io.on('reconnect_attempt', () => {
    socket.io.randomizationFactor(0.5);
    socket.io.reconnectionDelay(500);
  });
  socket.on('disconnect', (reason) => state.reasons.push(reason));
  const ready = new Promise<void>((resolve) => {
    socket.on('connect', async () => {
      // Step 5: register first, then step 7: re-subscribe from R, holding live events meanwhile.
      const reg = await socket.timeout(5000).emitWithAck('agent:register', { name: agentId });
      expect(reg.ok).toBe(true);
      state.registrations++;
      held = [];
      const sub = await socket
        .timeout(10_000)
        .emitWithAck('event:subscribe', { patterns: ['raw:#'], fromOffset: resume(), policy: 'full' });
      expect(sub.ok).toBe(true);
      state.watermark = sub.data.watermark;
      const live = held.sort((a, b) => a.offset - b.offset);
      held = null;
      live.forEach(take);
      resolve();
    });
  });
  return { socket, handled, state, ready };
}

const stores: Array<[string, () => Record<string, string>]> = pg
  ? [['PostgreSQL', () => ({ DATABASE_URL: pg.url })]]
  : [['PGlite', () => ({})]];

describe.each(stores)('a raw socket.io-client following the protocol on %s', (_name, env) => {
  it('is told its delay, sees a retryable close, comes back by itself and misses nothing', async () => {
    const hub = await HubProcess.start({ env: env() });
    const raw = rawAgent(hub.url, 'raw-1', hub.tokens.issue('raw-1'));
    const publisher = await connectAgent({ url: hub.url, agentId: 'raw-pub', token: hub.tokens.issue('raw-pub'), reconnectDelayMs: 200 });
    try {
      await raw.ready;
      const ids: string[] = [];
      const results: Array<Promise<unknown>> = [];
      const send = (n: number) => {
        for (let i = 0; i < n; i++) {
          const id = `raw-${ids.length}`;
          ids.push(id);
          results.push(publisher.publish('raw:x', { i }, { id }));
        }
      };
      send(20);
      await Promise.all(results);
      expect((await hub.kill('SIGTERM')).code).toBe(0);
      send(20); // while the hub is down: the SDK holds and re-sends them
      await hub.spawn();
      send(20);
      await Promise.all(results);
      const deadline = Date.now() + 20_000;
      while (ids.some((id) => !raw.handled.has(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(ids.filter((id) => !raw.handled.has(id))).toEqual([]);
      expect(raw.state.shutdowns).toHaveLength(1);
      expect(raw.state.reasons[0]).toBe('transport close');
      expect(raw.state.registrations).toBe(2);
      expect(raw.socket.connected).toBe(true);
    } finally {
      raw.socket.close();
      await publisher.close();
      await hub.stop();
    }
  }, 60_000);
});
