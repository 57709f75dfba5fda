import { afterAll, describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import { connectAgent, type AgentClient } from '@agent-hub/sdk';
import { createTestDatabaseOrSkip, type TestDatabase } from '@agent-hub/store';
import { AGENTS_NAMESPACE, type HubEvent, type PublishResult } from '@agent-hub/protocol';
import { withTimeout } from '../../../bench/child-guard.ts';
import { HubProcess } from './support/hub-process.ts';
import { reportOnFailure } from './support/report-on-failure.ts';
import { TcpProxy } from './support/tcp-proxy.ts';
import { eventually, startTestHub } from './support/test-hub.ts';

const pg: TestDatabase | null = await createTestDatabaseOrSkip('publish survival (PostgreSQL)');
afterAll(async () => pg?.drop());

describe('SDK publishes across a cut connection', () => {
  it('resolves every publish made around a 3 s cut, each id in the log once and at the subscriber', async () => {
    const t = await startTestHub();
    const proxy = new TcpProxy('127.0.0.1', Number(new URL(t.url).port));
    const port = await proxy.start();
    const publisher = await connectAgent({
      url: `http://127.0.0.1:${port}`,
      agentId: 'blip-pub',
      token: t.agentToken('blip-pub'),
      reconnectDelayMs: 200,
      reconnectDelayMaxMs: 500,
    });
    const subscriber = await t.agent('blip-sub');
    const got = new Map<string, number>();
    await subscriber.subscribe(['blip:#'], (e: HubEvent) => void got.set(e.id, (got.get(e.id) ?? 0) + 1), { policy: 'full' });
    try {
      const pending: Array<Promise<PublishResult>> = [];
      const ids: string[] = [];
      let cut: Promise<void> | null = null;
      for (let i = 0; i < 3000; i++) {
        const id = `blip-${i}`;
        ids.push(id);
        pending.push(publisher.publish('blip:x', { i }, { id }));
        if (i === 1000)
          cut = proxy
            .cut()
            .then(() => new Promise((r) => setTimeout(r, 3000)))
            .then(() => proxy.restore().then(() => undefined));
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 10));
      }
      await cut;
      const results = await Promise.all(pending);
      expect(results.every((r) => r.durable)).toBe(true);
      const res = await t.api('/api/events?patterns=blip:x&limit=10000');
      const logged = ((await res.json()) as { items: Array<{ id: string }> }).items.map((e) => e.id);
      expect(logged.length).toBe(ids.length);
      expect(new Set(logged).size).toBe(ids.length);
      await eventually(() => got.size === ids.length, 10_000, 'subscriber has every id');
      expect([...got.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await publisher.close();
      await proxy.close();
      await t.close();
    }
  }, 60_000);

  it('refuses an unsupported protocol version at the handshake with a typed code', async () => {
    const t = await startTestHub();
    try {
      const socket = io(t.url + AGENTS_NAMESPACE, {
        auth: { agentId: 'old', token: t.agentToken('old'), protocol: 99 },
        transports: ['websocket'],
        reconnection: false,
      });
      const err = await new Promise<Error & { data?: { code: string; details?: { supported: number[] } } }>((resolve) =>
        socket.once('connect_error', resolve),
      );
      socket.close();
      expect(err.data?.code).toBe('PROTOCOL_UNSUPPORTED');
      expect(err.data?.details?.supported).toContain(2);
      await expect(connectAgent({ url: t.url, agentId: 'a', token: t.agentToken('a') })).resolves.toBeDefined();
    } finally {
      await t.close();
    }
  });
});

(pg ? describe : describe.skip)('durable notices after a store outage', () => {
  it('keeps a publish answered durable:false pending until the hub says it is durable', async () => {
    const proxy = new TcpProxy('127.0.0.1', Number(new URL(pg!.url).port || 5432));
    const port = await proxy.start();
    const url = new URL(pg!.url);
    url.port = String(port);
    // At info, the hub's log says what its batcher and recovery probe did; printed if this fails.
    const hub = await HubProcess.start({ env: { DATABASE_URL: url.toString(), LOG_LEVEL: 'info' } });
    reportOnFailure(() => `the hub's log:\n${hub.output}`);
    let agent: AgentClient | null = null;
    try {
      agent = await connectAgent({ url: hub.url, agentId: 'notice', token: hub.tokens.issue('notice') });
      expect((await agent.publish('outage:x', 0)).durable).toBe(true);
      await proxy.cut();
      let settled: PublishResult | null = null;
      const during = agent.publish('outage:x', 1, { id: 'during-outage' }).then((r) => (settled = r));
      await new Promise((r) => setTimeout(r, 1500));
      // The hub has it queued and said durable:false; the SDK keeps waiting.
      expect(settled).toBeNull();
      expect(agent.pendingPublishes).toBe(1);
      await proxy.restore();
      // The hub notices the store's return within a second or two. A publish still pending after
      // 30 s is a bug; the test fails then (with the hub's log) rather than at its timeout.
      await withTimeout(during, 30_000, "event:durable after the store's return");
      expect(settled).toMatchObject({ id: 'during-outage', durable: true });
      const res = await hub.api('/api/events?patterns=outage:x&limit=10');
      expect(((await res.json()) as { items: Array<{ id: string }> }).items.map((e) => e.id)).toContain('during-outage');
    } finally {
      await agent?.close();
      await hub.stop();
      await proxy.close();
    }
  }, 90_000);
});

describe('the SDK journal', () => {
  it('re-sends what a killed agent process never heard was durable, and the log keeps each id once', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { FileJournal } = await import('@agent-hub/sdk/node');
    const t = await startTestHub();
    const dir = await mkdtemp(path.join(tmpdir(), 'agent-hub-journal-'));
    const file = path.join(dir, 'publishes.jsonl');
    try {
      // A first run that journals two publishes and dies before the hub could answer them: here
      // it never connects at all, the hardest case (nothing reached the hub).
      const first = new FileJournal(file);
      first.load();
      first.add({ id: 'j-1', topic: 'journal:x', payload: 1 });
      first.add({ id: 'j-2', topic: 'journal:x', payload: 2 });
      first.add({ id: 'j-3', topic: 'journal:x', payload: 3 });
      first.remove('j-3'); // confirmed before the crash
      first.close();
      // One of them had in fact reached the hub before the crash.
      const other = await t.agent('journal-other');
      await other.publish('journal:x', 1, { id: 'j-1' });

      const settled: string[] = [];
      const second = await connectAgent({
        url: t.url,
        agentId: 'journaled',
        token: t.agentToken('journaled'),
        journal: new FileJournal(file),
      });
      second.on('journal:settled', (s: { id: string; outcome: unknown }) => settled.push(s.id));
      await eventually(() => settled.length === 2, 5000, 'journaled publishes settled');
      expect(settled.sort()).toEqual(['j-1', 'j-2']);
      await second.close();
      const res = await t.api('/api/events?patterns=journal:x&limit=10');
      expect(((await res.json()) as { items: Array<{ id: string }> }).items.map((e) => e.id).sort()).toEqual(['j-1', 'j-2']);
      // Nothing is left for a third run.
      expect(new FileJournal(file).load()).toEqual([]);
    } finally {
      await t.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('publish window metric', () => {
  it('reports the publishes agents hold unconfirmed, from their liveness answers', async () => {
    // Batches commit only every 2 s here, so a publish stays in the SDK's window meanwhile.
    const t = await startTestHub({ EVENT_BATCH_DELAY_MS: '2000', LIVENESS_INTERVAL_MS: '200', LIVENESS_TIMEOUT_MS: '1000' });
    try {
      const a = await t.agent('window-a');
      const held = [a.publish('w:x', 1), a.publish('w:x', 2), a.publish('w:x', 3)];
      expect(a.pendingPublishes).toBe(3);
      const depth = async () => {
        const text = await (await t.api('/metrics')).text();
        return Number(/agenthub_agent_publish_window_depth\{stat="sum"\} (\d+)/.exec(text)?.[1] ?? 0);
      };
      await eventually(async () => (await depth()) === 3, 1900, 'window depth reported');
      await Promise.all(held);
      expect(a.pendingPublishes).toBe(0);
      await eventually(async () => (await depth()) === 0, 3000, 'window drained');
    } finally {
      await t.close();
    }
  });
});
