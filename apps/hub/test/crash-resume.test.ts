import { afterAll, describe, expect, it } from 'vitest';
import { connectAgent, type AgentClient } from '@agent-hub/sdk';
import { createTestDatabaseOrSkip, type TestDatabase } from '@agent-hub/store';
import type { HubEvent } from '@agent-hub/protocol';
import { HubProcess } from './support/hub-process.ts';

/**
 * A real hub process killed (SIGKILL) or stopped (SIGTERM) while a publisher streams ~2,000
 * events/s and a subscriber handles them; then restarted on the same data. Everything is asserted
 * on the client objects that lived through it: the publisher's promises all resolve durable, and
 * the subscriber handled every id exactly once (dedupe by id), with no offset given to two events.
 */
const pg: TestDatabase | null = await createTestDatabaseOrSkip('crash and resume (PostgreSQL)');
afterAll(async () => pg?.drop());
const stores: Array<[string, () => Record<string, string>]> = [['PGlite', () => ({})]];
if (pg) stores.push(['PostgreSQL', () => ({ DATABASE_URL: pg.url })]);

const RATE = 2000;
const TOTAL = 6000;

async function survivors(hub: HubProcess) {
  const opts = { url: hub.url, reconnectDelayMs: 200, reconnectDelayMaxMs: 1000, publishDeadlineMs: 60_000 };
  const publisher = await connectAgent({ ...opts, agentId: 'streamer', token: hub.tokens.issue('streamer') });
  const subscriber = await connectAgent({ ...opts, agentId: 'reader', token: hub.tokens.issue('reader') });
  const handled = new Map<string, number>();
  const byOffset = new Map<number, string>();
  let reused = 0;
  await subscriber.subscribe(
    ['stream:#'],
    (e: HubEvent) => {
      handled.set(e.id, (handled.get(e.id) ?? 0) + 1);
      const prior = byOffset.get(e.offset);
      if (prior !== undefined && prior !== e.id) reused++;
      byOffset.set(e.offset, e.id);
    },
    { policy: 'full' },
  );
  return { publisher, subscriber, handled, reused: () => reused };
}

/** Publishes TOTAL events at RATE without awaiting each; calls `midway` once, halfway through. */
async function stream(publisher: AgentClient, midway: () => Promise<void>) {
  const ids: string[] = [];
  const results: Array<Promise<{ durable: boolean }>> = [];
  const started = Date.now();
  let crashed: Promise<void> | null = null;
  for (let i = 0; i < TOTAL; i++) {
    const id = `s-${i}-${Math.random().toString(36).slice(2, 8)}`;
    ids.push(id);
    results.push(publisher.publish('stream:x', { i }, { id, priority: 'critical' }));
    if (i === TOTAL / 2) crashed = midway();
    const due = started + ((i + 1) / RATE) * 1000;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  }
  await crashed;
  return { ids, results: await Promise.all(results) };
}

describe.each(stores)('a hub crash under load on %s', (_name, env) => {
  it('loses no durable event and reuses no offset across SIGKILL and restart', async () => {
    const hub = await HubProcess.start({ env: env() });
    const s = await survivors(hub);
    try {
      const { ids, results } = await stream(s.publisher, async () => {
        await hub.kill('SIGKILL');
        await hub.spawn();
      });
      expect(results.every((r) => r.durable)).toBe(true);
      await waitFor(
        () => ids.every((id) => s.handled.has(id)),
        30_000,
        () => `${ids.filter((id) => !s.handled.has(id)).length} ids not handled`,
      );
      await s.subscriber.idle();
      expect([...s.handled.values()].every((n) => n === 1)).toBe(true);
      expect(s.reused()).toBe(0);
      // Each id is in the log once.
      const res = await hub.api(`/api/events?patterns=stream:x&limit=100000`);
      const logged = ((await res.json()) as { items: Array<{ id: string }> }).items.map((e) => e.id);
      const inLog = new Set(logged);
      expect(logged.length).toBe(inLog.size);
      expect(ids.filter((id) => !inLog.has(id))).toEqual([]);
    } finally {
      await Promise.all([s.publisher.close(), s.subscriber.close()]);
      await hub.stop();
    }
  }, 120_000);

  it('brings the same clients back after SIGTERM and restart, with every event handled once', async () => {
    const hub = await HubProcess.start({ env: env() });
    const s = await survivors(hub);
    const notices: number[] = [];
    s.subscriber.on('hub:shutdown', (p: { reconnectAfterMs: number }) => notices.push(p.reconnectAfterMs));
    const resumed = new Promise((r) => s.subscriber.once('resumed', r));
    try {
      const { ids, results } = await stream(s.publisher, async () => {
        expect((await hub.kill('SIGTERM')).code).toBe(0);
        await hub.spawn();
      });
      await resumed;
      expect(notices).toHaveLength(1);
      expect(s.subscriber.connected && s.publisher.connected).toBe(true);
      expect(results.every((r) => r.durable)).toBe(true);
      await waitFor(
        () => ids.every((id) => s.handled.has(id)),
        30_000,
        () => `${ids.filter((id) => !s.handled.has(id)).length} ids not handled`,
      );
      await s.subscriber.idle();
      expect([...s.handled.values()].every((n) => n === 1)).toBe(true);
      expect(s.reused()).toBe(0);
    } finally {
      await Promise.all([s.publisher.close(), s.subscriber.close()]);
      await hub.stop();
    }
  }, 120_000);
});

async function waitFor(ok: () => boolean, timeoutMs: number, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${why()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
