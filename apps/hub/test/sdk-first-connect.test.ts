/**
 * The SDK's first connect: an agent started before its hub (or while the hub is busy or stopping)
 * keeps trying until `connectTimeoutMs`, and the same client object ends up registered; a refusal
 * of the agent itself (a wrong token) ends it at once, without retries.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { connectAgent, HubError, type AgentClient } from '@agent-hub/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentTokens } from '../src/auth/agent-token.ts';
import { agentInfo } from '@agent-hub/core';
import { freePort, HubProcess } from './support/hub-process.ts';
import { eventually } from './support/test-hub.ts';
import { startOlderHub } from './support/older-hub.ts';

const hubs: HubProcess[] = [];
const clients: AgentClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(hubs.splice(0).map((h) => h.stop()));
});

describe('SDK first connect', () => {
  it('connects and registers once a hub that was not up yet starts', { timeout: 90_000 }, async () => {
    const port = await freePort();
    const secret = 'first-connect-secret-0123456789';
    const retries: Error[] = [];
    const pending = connectAgent({
      url: `http://127.0.0.1:${port}`,
      agentId: 'early',
      token: new AgentTokens(secret).issue('early'),
      connectTimeoutMs: 60_000,
      reconnectDelayMs: 200,
      reconnectDelayMaxMs: 500,
      onConnectRetry: (err) => retries.push(err),
    });
    let settled = false;
    void pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    // Nothing listens yet: the attempts fail and are retried, the promise stays pending.
    await new Promise((r) => setTimeout(r, 1500));
    expect(settled).toBe(false);
    expect(retries.length).toBeGreaterThan(0);
    hubs.push(await HubProcess.start({ port, agentSecret: secret }));
    const client = await pending;
    clients.push(client);
    expect(client.connected).toBe(true);
    const res = await hubs[0]!.api('/api/agents/early');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { health: string }).health).toBe('healthy');
  });

  it('rejects a refused token at once, without retrying', { timeout: 60_000 }, async () => {
    const hub = await HubProcess.start();
    hubs.push(hub);
    const retries: Error[] = [];
    const err = await connectAgent({
      url: hub.url,
      agentId: 'mallory',
      token: hub.tokens.issue('alice'),
      onConnectRetry: (e) => retries.push(e),
    }).catch((e: unknown) => e);
    expect(HubError.is(err, 'AGENT_UNAUTHORIZED')).toBe(true);
    expect(retries).toEqual([]);
  });

  it('gives up after connectTimeoutMs with a typed error', { timeout: 30_000 }, async () => {
    const port = await freePort();
    const t0 = Date.now();
    const err = await connectAgent({
      url: `http://127.0.0.1:${port}`,
      agentId: 'nobody',
      token: 'x',
      connectTimeoutMs: 1500,
      reconnectDelayMs: 200,
      reconnectDelayMaxMs: 300,
    }).catch((e: unknown) => e);
    expect(HubError.is(err, 'REQUEST_TIMEOUT')).toBe(true);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('registers again when the first register is not answered in time, on the same connection', { timeout: 30_000 }, async () => {
    // A stand-in hub that leaves the first register unanswered (too busy) and answers the next.
    const http = createServer();
    const io = new Server(http);
    const registers: string[] = [];
    io.of('/agents').on('connection', (socket) => {
      socket.on('agent:register', (_p: unknown, ack: (r: unknown) => void) => {
        registers.push(socket.id);
        if (registers.length === 1) return;
        ack({ ok: true, data: agentInfo('slow') });
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    try {
      const retries: Error[] = [];
      const client = await connectAgent({
        url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
        agentId: 'slow',
        token: 't',
        requestTimeoutMs: 500,
        reconnectDelayMs: 100,
        onConnectRetry: (e) => retries.push(e),
      });
      clients.push(client);
      expect(registers).toHaveLength(2);
      expect(registers[1]).toBe(registers[0]);
      expect(retries.map((e) => (e as HubError).code)).toEqual(['REQUEST_TIMEOUT']);
    } finally {
      await io.close();
    }
  });
});

describe('SDK against an older hub', () => {
  it('offers protocol 2 when a hub that speaks only 1 and 2 refuses 3, and publishes one by one to it', async () => {
    // A hub of the release before protocol 3: it refuses the version as this release's hubs do,
    // and knows no event:publish-batch (an unknown event is answered NOT_FOUND).
    const older = await startOlderHub();
    const { offered, received } = older;
    try {
      const client = await connectAgent({ url: older.url, agentId: 'upgraded-sdk', token: 't', connectTimeoutMs: 10_000 });
      clients.push(client);
      expect(offered).toEqual([3, 2]);
      const results = await Promise.all([1, 2, 3].map((i) => client.publish('old:hub', i)));
      expect(results.map((r) => r.offset)).toEqual([1, 2, 3]);
      // One batch tried, refused as unknown, then single publishes (and only those from then on).
      expect(received.filter((e) => e.startsWith('event:'))).toEqual([
        'event:publish-batch',
        'event:publish',
        'event:publish',
        'event:publish',
      ]);
      // A cut connection: the next one may reach an upgraded node, so 3 is offered first again.
      older.drop();
      await eventually(() => offered.length >= 4, 10_000, 'a reconnect');
      expect(offered.slice(0, 4)).toEqual([3, 2, 3, 2]);
      // The same client, registered again on its own, publishes on.
      expect((await client.publish('old:hub', 4)).offset).toBe(4);
    } finally {
      await older.close();
    }
  });
});
