import { afterAll, describe, expect, it } from 'vitest';
import { connectAgent, type AgentClient } from '@agent-hub/sdk';
import { createTestDatabaseOrSkip, deleteKeysWithPrefix, type TestDatabase } from '@agent-hub/store';
import { HubProcess } from './support/hub-process.ts';
import { redisUrlOrSkip } from './support/redis-or-skip.ts';
import { randomBytes } from 'node:crypto';

const pg: TestDatabase | null = await createTestDatabaseOrSkip('hub durability (PostgreSQL)');
afterAll(async () => pg?.drop());

const redisUrl = await redisUrlOrSkip('hub durability (Redis store)');
const stores: Array<[string, () => Record<string, string>]> = [
  ['PGlite', () => ({})],
  ['the file store', () => ({ STORE: 'file' })],
];
if (pg) stores.push(['PostgreSQL', () => ({ DATABASE_URL: pg.url })]);
// Each test hub gets its own key prefix; the prefix must survive the restart, so it is fixed per store entry.
const redisPrefix = `dur${randomBytes(4).toString('hex')}:`;
if (redisUrl) stores.push(['Redis', () => ({ STORE: 'redis', REDIS_URL: redisUrl, REDIS_PREFIX: redisPrefix })]);
afterAll(async () => void (redisUrl && (await deleteKeysWithPrefix(redisUrl, redisPrefix))));

/** Writes sessions, messages and events, remembering what the hub acknowledged. */
async function writeAcknowledged(hub: HubProcess, agent: AgentClient) {
  const sessions: Array<{ id: string; contents: string[]; state: unknown }> = [];
  const events: Array<{ id: string; offset: number }> = [];
  for (let i = 0; i < 5; i++) {
    const s = await agent.sessions.create({ metadata: { i } });
    const contents: string[] = [];
    for (let m = 0; m < 10; m++) {
      await agent.sessions.append(s.id, { messages: [{ content: `s${i}-m${m}` }] });
      contents.push(`s${i}-m${m}`);
    }
    const state = { step: i, notes: ['a', 'b'] };
    await agent.sessions.setState(s.id, state);
    sessions.push({ id: s.id, contents, state });
    const e = await agent.publish(`durable:${i}`, { i });
    expect(e.durable).toBe(true);
    events.push(e);
  }
  const httpSession = await (
    await hub.api('/api/sessions', { method: 'POST', body: JSON.stringify({ messages: [{ content: 'via http' }] }) })
  ).json();
  sessions.push({ id: (httpSession as { id: string }).id, contents: ['via http'], state: undefined });
  return { sessions, events };
}

async function expectAllThere(hub: HubProcess, acked: Awaited<ReturnType<typeof writeAcknowledged>>, agentId: string) {
  for (const s of acked.sessions) {
    const res = await hub.api(`/api/sessions/${s.id}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { messages: Array<{ content: string }>; agentState: Record<string, unknown> };
    expect(body.messages.map((m) => m.content)).toEqual(s.contents);
    if (s.state !== undefined) expect(body.agentState[agentId]).toEqual(s.state);
  }
  const res = await hub.api(`/api/events?patterns=durable:*&limit=100`);
  const ids = ((await res.json()) as { items: Array<{ id: string }> }).items.map((e) => e.id);
  for (const e of acked.events) expect(ids).toContain(e.id);
}

// Each test starts a hub twice. A fresh PGlite hub alone takes ~8 s to start on a quiet machine
// (initdb, the worker, migrations) and a restart ~3.5 s; with a second test file beside it on two
// cores the PGlite test took 25-27 s, and one CI run passed the default 30 s. Nothing here is timed.
const TWO_STARTS_MS = 90_000;

describe.each(stores)('durability on %s', (_name, env) => {
  it('keeps every acknowledged write across SIGKILL and restart', { timeout: TWO_STARTS_MS }, async () => {
    const hub = await HubProcess.start({ env: env() });
    try {
      const agent = await connectAgent({ url: hub.url, agentId: 'writer', token: hub.tokens.issue('writer') });
      const acked = await writeAcknowledged(hub, agent);
      const exit = await hub.kill('SIGKILL');
      expect(exit.signal).toBe('SIGKILL');
      await agent.close();
      await hub.spawn();
      await expectAllThere(hub, acked, 'writer');
      // Offsets continue after the restart: nothing is reused.
      const again = await connectAgent({ url: hub.url, agentId: 'writer', token: hub.tokens.issue('writer') });
      const next = await again.publish('durable:after', 1);
      expect(next.offset).toBeGreaterThan(Math.max(...acked.events.map((e) => e.offset)));
      await again.close();
    } finally {
      await hub.stop();
    }
  });

  it('exits 0 on SIGTERM with agents connected and loses no acknowledged write', { timeout: TWO_STARTS_MS }, async () => {
    const hub = await HubProcess.start({ env: env() });
    try {
      const agent = await connectAgent({ url: hub.url, agentId: 'writer2', token: hub.tokens.issue('writer2') });
      const watcher = await connectAgent({ url: hub.url, agentId: 'watcher', token: hub.tokens.issue('watcher') });
      const told = new Promise<{ reason: string }>((resolve) => watcher.once('hub:shutdown', resolve));
      const acked = await writeAcknowledged(hub, agent);
      const exit = await hub.kill('SIGTERM');
      expect(exit.code).toBe(0);
      expect((await told).reason).toBe('SIGTERM');
      await Promise.all([agent.close(), watcher.close()]);
      await hub.spawn();
      await expectAllThere(hub, acked, 'writer2');
    } finally {
      await hub.stop();
    }
  });
});
