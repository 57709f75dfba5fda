import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabaseOrSkip, type TestDatabase } from '@agent-hub/store';
import { HubProcess } from './support/hub-process.ts';
import { TcpProxy } from './support/tcp-proxy.ts';
import { startTestHub, type TestHub } from './support/test-hub.ts';

const pg: TestDatabase | null = await createTestDatabaseOrSkip('probes with PostgreSQL away');
afterAll(async () => pg?.drop());

/** Orchestrators give a probe 1 s by default. */
const PROBE_BUDGET_MS = 1000;

async function probe(url: string): Promise<{ status: number; ms: number; body: Record<string, unknown> }> {
  const started = performance.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as Record<string, unknown>;
  return { status: res.status, ms: performance.now() - started, body };
}

describe.skipIf(!pg)('probes with the shared PostgreSQL away', () => {
  let proxy: TcpProxy;
  let hub: HubProcess;

  beforeAll(async () => {
    const target = new URL(pg!.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    const port = await proxy.start();
    target.port = String(port);
    hub = await HubProcess.start({ env: { DATABASE_URL: target.toString() } });
  }, 60_000);
  afterAll(async () => {
    await hub?.stop();
    await proxy?.close();
  });

  it('answers every probe within 1 s while PostgreSQL is up', async () => {
    for (const p of ['/livez', '/readyz', '/health', '/ready']) {
      const r = await probe(hub.url + p);
      expect(r.status, p).toBe(200);
      expect(r.ms, p).toBeLessThan(PROBE_BUDGET_MS);
    }
  });

  for (const outage of ['cut', 'stall'] as const) {
    it(`keeps liveness and readiness 200 within 1 s and reports the store (${outage})`, async () => {
      if (outage === 'cut') await proxy.cut();
      else proxy.stall();
      try {
        // Several rounds: the first pings find the dropped connections, later ones wait on new ones.
        for (let round = 0; round < 3; round++) {
          for (const p of ['/livez', '/health']) {
            const r = await probe(hub.url + p);
            expect(r.status, p).toBe(200);
            expect(r.ms, p).toBeLessThan(PROBE_BUDGET_MS);
            expect((r.body.checks as { store: { ok: boolean } }).store.ok, p).toBe(false);
            expect(r.body.status).toBe('degraded');
          }
          for (const p of ['/readyz', '/ready']) {
            const r = await probe(hub.url + p);
            expect(r.status, p).toBe(200);
            expect(r.ms, p).toBeLessThan(PROBE_BUDGET_MS);
            expect(r.body.ready).toBe(true);
            expect(
              (r.body.warnings as string[]).some((w) => /store/.test(w)),
              p,
            ).toBe(true);
          }
        }
      } finally {
        await proxy.restore();
      }
    });
  }
});

describe('probes of one node', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(() => t.close());

  it('answers within 1 s, 200, when the store never answers a ping', async () => {
    const ping = t.hub.ctx.store.ping.bind(t.hub.ctx.store);
    t.hub.ctx.store.ping = () => new Promise<void>(() => undefined);
    try {
      for (const p of ['/livez', '/readyz', '/health', '/ready']) {
        const r = await probe(t.url + p);
        expect(r.status, p).toBe(200);
        expect(r.ms, p).toBeLessThan(PROBE_BUDGET_MS);
        expect((r.body.checks as { store: { ok: boolean; error: string } }).store.error, p).toMatch(/no answer within/);
      }
    } finally {
      t.hub.ctx.store.ping = ping;
    }
  });

  it('fails liveness and readiness while the node is draining, and readiness while starting', async () => {
    t.hub.ctx.state.set({ phase: 'starting' });
    expect((await probe(t.url + '/readyz')).body).toEqual({ ready: false, reason: 'starting' });
    expect((await probe(t.url + '/livez')).status).toBe(200);
    t.hub.ctx.state.set({ phase: 'shutting-down' });
    const ready = await probe(t.url + '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.reason).toBe('shutting down');
    const live = await probe(t.url + '/livez');
    expect(live.status).toBe(503);
    expect(live.body.status).toBe('fail');
    t.hub.ctx.state.set({ phase: 'ready' });
  });
});
