import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAgent } from '@agent-hub/sdk';
import { createTestDatabaseOrSkip, openPostgresStore, type TestDatabase } from '@agent-hub/store';
import { HubProcess } from './support/hub-process.ts';
import { reportOnFailure } from './support/report-on-failure.ts';
import { TcpProxy } from './support/tcp-proxy.ts';
import { eventually } from './support/test-hub.ts';

const pg: TestDatabase | null = await createTestDatabaseOrSkip('sessions on PostgreSQL');
const suite = pg ? describe : describe.skip;
afterAll(async () => pg?.drop());

suite('sessions on a shared PostgreSQL', () => {
  let a: HubProcess;
  let b: HubProcess;
  beforeAll(async () => {
    a = await HubProcess.start({ env: { DATABASE_URL: pg!.url, SESSION_LIMIT: '0' } });
    b = await HubProcess.start({ env: { DATABASE_URL: pg!.url, SESSION_LIMIT: '0' }, token: a.token, agentSecret: a.agentSecret });
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('loses no update when 2 hub processes write 100 sessions concurrently', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const hub = i % 2 ? a : b;
      ids.push(
        (
          (await (await hub.api('/api/sessions', { method: 'POST', body: JSON.stringify({ metadata: { n: 0 } }) })).json()) as {
            id: string;
          }
        ).id,
      );
    }
    let conflicts = 0;
    // Each hub increments every session's counter 3 times, read-modify-write under If-Match.
    const increment = async (hub: HubProcess, id: string) => {
      for (;;) {
        const cur = (await (await hub.api(`/api/sessions/${id}?history=false`)).json()) as { version: number; metadata: { n: number } };
        const res = await hub.api(`/api/sessions/${id}`, {
          method: 'PATCH',
          headers: { 'if-match': String(cur.version) },
          body: JSON.stringify({ metadata: { n: cur.metadata.n + 1 } }),
        });
        if (res.status === 200) return;
        expect(res.status).toBe(409);
        conflicts++;
      }
    };
    await Promise.all(
      ids.flatMap((id) =>
        [a, b].map(async (hub) => {
          for (let k = 0; k < 3; k++) await increment(hub, id);
        }),
      ),
    );
    for (const id of ids) {
      const s = (await (await a.api(`/api/sessions/${id}?history=false`)).json()) as { metadata: { n: number } };
      expect(s.metadata.n).toBe(6);
    }
    expect(conflicts).toBeGreaterThan(0);
  });

  it('serves a history appended through the other hub (cache stays correct)', async () => {
    const s = (await (
      await a.api('/api/sessions', { method: 'POST', body: JSON.stringify({ messages: [{ content: 'one' }] }) })
    ).json()) as { id: string };
    await a.api(`/api/sessions/${s.id}`); // warm a's cache
    await b.api(`/api/sessions/${s.id}/messages`, { method: 'POST', body: JSON.stringify({ messages: [{ content: 'two' }] }) });
    const seen = (await (await a.api(`/api/sessions/${s.id}`)).json()) as { messages: Array<{ content: string }> };
    expect(seen.messages.map((m) => m.content)).toEqual(['one', 'two']);
  });
});

suite('store outage', () => {
  let proxy: TcpProxy;
  let hub: HubProcess;
  beforeAll(async () => {
    proxy = new TcpProxy('127.0.0.1', Number(new URL(pg!.url).port || 5432));
    const port = await proxy.start();
    const url = new URL(pg!.url);
    url.port = String(port);
    // Info-level logs: a failure report shows the agent's connections and the outage as the hub saw them.
    hub = await HubProcess.start({ env: { DATABASE_URL: url.toString(), SESSION_LIMIT: '0', LOG_LEVEL: 'info' } });
  });
  afterAll(async () => {
    await hub?.stop();
    await proxy?.close();
  });

  it('accepts writes while PostgreSQL is unreachable and applies each exactly once when it returns', async () => {
    const s = (await (
      await hub.api('/api/sessions', { method: 'POST', body: JSON.stringify({ messages: [{ content: 'before' }] }) })
    ).json()) as { id: string };
    await proxy.cut();
    const accepted: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await hub.api(`/api/sessions/${s.id}/messages`, {
        method: 'POST',
        body: JSON.stringify({ messages: [{ content: `during-${i}` }] }),
      });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { pending?: { position: number } };
      expect(body.pending?.position).toBe(i + 1);
      accepted.push(i);
    }
    const created = (await (
      await hub.api('/api/sessions', { method: 'POST', body: JSON.stringify({ metadata: { made: 'offline' } }) })
    ).json()) as {
      id: string;
      version: number;
      pending?: unknown;
    };
    expect(created.version).toBe(0);
    expect(created.pending).toBeDefined();
    // A versioned write cannot be checked without the store: refused, so nothing is acknowledged falsely.
    const versioned = await hub.api(`/api/sessions/${s.id}`, {
      method: 'PATCH',
      headers: { 'if-match': '1' },
      body: JSON.stringify({ metadata: {} }),
    });
    expect(versioned.status).toBe(503);
    expect(((await versioned.json()) as { error: { code: string } }).error.code).toBe('STORE_UNAVAILABLE');
    // A shared store outage is reported by readiness, not used to take every node out at once.
    const ready = await fetch(`${hub.url}/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { warnings: string[] }).warnings).toContain('store unavailable: writes are queued');

    await proxy.restore();
    const drained = async () => !((await (await fetch(`${hub.url}/ready`)).json()) as { warnings?: string[] }).warnings;
    await eventually(drained, 15_000, 'store back and queue drained');
    const got = (await (await hub.api(`/api/sessions/${s.id}`)).json()) as { messages: Array<{ content: string }> };
    expect(got.messages.map((m) => m.content)).toEqual(['before', ...accepted.map((i) => `during-${i}`)]);
    const offline = (await (await hub.api(`/api/sessions/${created.id}`)).json()) as { metadata: unknown; version: number };
    expect(offline.metadata).toEqual({ made: 'offline' });
    expect(offline.version).toBe(1);
  });
});

/**
 * A hub whose PostgreSQL is reached through a TcpProxy the test can cut, stall or freeze, started
 * before the suite's tests and stopped after them. Info-level logs: a failure report shows the
 * outage as the hub saw it.
 */
function hubBehindProxy(): { proxy: TcpProxy; hub: HubProcess } {
  const setup = {} as { proxy: TcpProxy; hub: HubProcess };
  beforeAll(async () => {
    setup.proxy = new TcpProxy('127.0.0.1', Number(new URL(pg!.url).port || 5432));
    const url = new URL(pg!.url);
    url.port = String(await setup.proxy.start());
    setup.hub = await HubProcess.start({ env: { DATABASE_URL: url.toString(), SESSION_LIMIT: '0', LOG_LEVEL: 'info' } });
  });
  afterAll(async () => {
    await setup.hub?.stop();
    await setup.proxy?.close();
  });
  return setup;
}

suite('store outage, as an agent sees it', () => {
  const behind = hubBehindProxy();

  it(
    'answers appends pending at once while PostgreSQL is cut, keeps retries single, and drains within seconds of its return',
    { timeout: 90_000 },
    async () => {
      const agent = await connectAgent({ url: behind.hub.url, agentId: 'outage-writer', token: behind.hub.tokens.issue('outage-writer') });
      const started = Date.now();
      const seen: string[] = [];
      agent.on('state', ({ state, detail }) => seen.push(`${Date.now() - started} ms ${state} (${detail})`));
      agent.on('error', (err) => seen.push(`${Date.now() - started} ms error ${String(err)}`));
      reportOnFailure(behind.hub, () => `agent states since connect:\n${seen.join('\n')}`);
      try {
        const s = await agent.sessions.create({ messages: [{ content: 'before' }] });
        await behind.proxy.cut();
        const cutAt = Date.now();
        const latencies: number[] = [];
        for (let i = 0; i < 100; i++) {
          const start = performance.now();
          const r = await agent.sessions.append(s.id, { messages: [{ id: `during-${i}`, content: `during-${i}` }] });
          latencies.push(performance.now() - start);
          expect(r.pending?.position).toBe(i + 1);
        }
        latencies.sort((a, b) => a - b);
        const p99 = latencies[98]!;
        expect(p99, `pending answers: p50 ${latencies[49]!.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`).toBeLessThan(100);
        // A retry of a write still queued is the same pending write, not a second one.
        const again = await agent.sessions.append(s.id, { messages: [{ id: 'during-7', content: 'during-7' }] });
        expect(again).toMatchObject({ pending: { position: 8 }, duplicate: true });

        // Down long enough for the scheduled retries to back off to 30 s: only noticing the store's
        // return (not the schedule) drains the queue within seconds.
        await new Promise((r) => setTimeout(r, Math.max(0, 8000 - (Date.now() - cutAt))));
        await behind.proxy.restore();
        const restoredAt = Date.now();
        let stored = false;
        for (let n = 0; !stored && Date.now() - restoredAt < 20_000; n++) {
          const r = await agent.sessions.append(s.id, { messages: [{ id: `after-${n}`, content: `after-${n}` }] });
          stored = r.session !== null;
          if (!stored) await new Promise((res) => setTimeout(res, 100));
        }
        const drainedInMs = Date.now() - restoredAt;
        expect(drainedInMs).toBeLessThan(5000);

        // The retry of a write that went through the outbox answers its original seq.
        const retried = await agent.sessions.append(s.id, { messages: [{ id: 'during-7', content: 'during-7' }] });
        expect(retried.duplicate).toBe(true);
        expect(retried.messages.map((m) => [m.seq, m.id])).toEqual([[9, 'during-7']]);
        const got = (await (await behind.hub.api(`/api/sessions/${s.id}`)).json()) as { messages: Array<{ content: string }> };
        const contents = got.messages.map((m) => m.content);
        expect(contents.slice(0, 101)).toEqual(['before', ...Array.from({ length: 100 }, (_, i) => `during-${i}`)]);
        expect(new Set(contents).size).toBe(contents.length);
      } finally {
        await agent.close();
      }
    },
  );
});

suite('store gone silent (packets dropped), as an HTTP client sees it', () => {
  const behind = hubBehindProxy();

  it(
    'answers the first HTTP appends pending within about twice STORE_QUEUE_AFTER_MS, not after the driver gives up',
    { timeout: 60_000 },
    async () => {
      reportOnFailure(behind.hub);
      const s = (await (
        await behind.hub.api('/api/sessions', { method: 'POST', body: JSON.stringify({ messages: [{ content: 'before' }] }) })
      ).json()) as {
        id: string;
      };
      // Every HTTP write also writes an audit entry to the event log: a silent store must not hold
      // the answer up for PostgreSQL's 10 s connect timeout either.
      behind.proxy.stall();
      const answers: string[] = [];
      try {
        for (let i = 0; i < 5; i++) {
          const start = performance.now();
          const res = await behind.hub.api(`/api/sessions/${s.id}/messages`, {
            method: 'POST',
            body: JSON.stringify({ messages: [{ id: `silent-${i}`, content: `silent-${i}` }] }),
            signal: AbortSignal.timeout(15_000),
          });
          const body = (await res.json()) as { pending?: { position: number } };
          const ms = performance.now() - start;
          answers.push(`${i}: ${res.status} ${JSON.stringify(body)} in ${ms.toFixed(0)} ms`);
          expect(res.status).toBe(201);
          expect(body.pending?.position).toBe(i + 1);
          expect(ms, answers.join('\n')).toBeLessThan(2000);
        }
      } finally {
        await behind.proxy.restore();
      }
      const drained = async () => !((await (await fetch(`${behind.hub.url}/ready`)).json()) as { warnings?: string[] }).warnings;
      await eventually(drained, 30_000, 'store back and queue drained');
      const got = (await (await behind.hub.api(`/api/sessions/${s.id}`)).json()) as { messages: Array<{ content: string }> };
      expect(got.messages.map((m) => m.content)).toEqual(['before', ...Array.from({ length: 5 }, (_, i) => `silent-${i}`)]);
    },
  );

  it(
    'answers publishes durable: false within about twice STORE_QUEUE_AFTER_MS, and commits them once the store is back',
    { timeout: 60_000 },
    async () => {
      reportOnFailure(behind.hub);
      const publish = async (i: number | string) => {
        const start = performance.now();
        const res = await behind.hub.api('/api/events', {
          method: 'POST',
          body: JSON.stringify({ id: `silent-event-${i}`, topic: 'silent:test', payload: { i } }),
          signal: AbortSignal.timeout(15_000),
        });
        return { status: res.status, body: (await res.json()) as { durable?: boolean; offset?: number }, ms: performance.now() - start };
      };
      // The suite's earlier test stalled the store too: a commit it left on a connection opened
      // during that stall may still wait for the driver's connect timeout. Start from an event
      // log that commits.
      let warmup = 0;
      await eventually(async () => (await publish(`warmup-${warmup++}`)).body.durable === true, 30_000, 'a publish durable again');
      expect((await publish(0)).body.durable).toBe(true);
      // Packets dropped on the connections the hub holds: a commit in flight gets no answer and no
      // error (postgres.js has no query timeout), for as long as the partition lasts. The event log
      // must not keep publishers waiting on it (the SDK's default timeout is 10 s).
      behind.proxy.freeze();
      const answers: string[] = [];
      try {
        for (let i = 1; i <= 3; i++) {
          const a = await publish(i);
          answers.push(`${i}: ${a.status} ${JSON.stringify(a.body)} in ${a.ms.toFixed(0)} ms`);
          expect(a.status, answers.join('\n')).toBe(201);
          expect(a.body.durable, answers.join('\n')).toBe(false);
          expect(a.ms, answers.join('\n')).toBeLessThan(2000);
        }
      } finally {
        await behind.proxy.restore();
      }
      // Accepted means kept: all three are committed once the store answers again (read from
      // PostgreSQL itself: the hub's own reads also show events it has not committed yet).
      const store = await openPostgresStore({ url: pg!.url });
      try {
        const ids = ['silent-event-0', 'silent-event-1', 'silent-event-2', 'silent-event-3'];
        await eventually(
          async () => (await store.events.offsetsOf(ids)).size === ids.length,
          30_000,
          'the events published while the store was silent are committed',
        );
      } finally {
        await store.close();
      }
    },
  );

  it('refuses reads with 503 STORE_UNAVAILABLE within about twice STORE_QUEUE_AFTER_MS, not never', { timeout: 60_000 }, async () => {
    reportOnFailure(behind.hub);
    const created = (await (await behind.hub.api('/api/sessions', { method: 'POST', body: JSON.stringify({}) })).json()) as { id: string };
    // A read sent on a connection whose packets are dropped gets no answer and no error at all.
    behind.proxy.freeze();
    const answers: string[] = [];
    try {
      for (const path of [`/api/sessions/${created.id}`, '/api/sessions?limit=5']) {
        const start = performance.now();
        const res = await behind.hub.api(path, { signal: AbortSignal.timeout(15_000) });
        const body = (await res.json()) as { error?: { code?: string } };
        const ms = performance.now() - start;
        answers.push(`${path}: ${res.status} ${JSON.stringify(body).slice(0, 200)} in ${ms.toFixed(0)} ms`);
        expect(res.status, answers.join('\n')).toBe(503);
        expect(body.error?.code, answers.join('\n')).toBe('STORE_UNAVAILABLE');
        expect(ms, answers.join('\n')).toBeLessThan(2000);
      }
    } finally {
      await behind.proxy.restore();
    }
    // The store back, the same read is answered.
    await eventually(async () => (await behind.hub.api(`/api/sessions/${created.id}`)).status === 200, 30_000, 'reads answered again');
  });
});
