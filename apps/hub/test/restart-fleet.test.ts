import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAgent, type AgentClient } from '@agent-hub/sdk';
import type { AgentInfo, PublishResult } from '@agent-hub/protocol';
import { createTestDatabaseOrSkip, type TestDatabase } from '@agent-hub/store';
import type { AgentRecord, ConnectArgs } from './fixtures/fleet-agents.ts';
import { HubProcess } from './support/hub-process.ts';
import { WorkerProcess } from '../../../bench/worker-rpc.ts';

// A graceful restart (SIGTERM, then the same hub again on the same port and data) must bring back
// the very client objects that lived through it: no fresh clients are opened to check.
const AGENTS = 1000;
const PROCESSES = 4;
const TOPIC = 'fleet:critical';
const BACK_WITHIN_MS = 30_000;
/** The SDK default (10 s) could expire while the hub restarts; what is tested is that publishes survive. */
const PUBLISH_TIMEOUT_MS = 30_000;
const FIXTURE = fileURLToPath(new URL('./fixtures/fleet-agents.ts', import.meta.url));

const pg: TestDatabase | null = await createTestDatabaseOrSkip('restart fleet (PostgreSQL)');
afterAll(async () => pg?.drop());
const stores: Array<[string, () => Record<string, string>]> = [['PGlite', () => ({})]];
if (pg) stores.push(['PostgreSQL', () => ({ DATABASE_URL: pg.url })]);

/** Polls until `done` holds or the deadline (epoch ms) passes; returns whether it held. */
async function until(done: () => Promise<boolean>, deadline: number): Promise<boolean> {
  for (;;) {
    if (await done()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

interface Outcome {
  exitCode: number | null;
  readyAt: number;
  /** How many of the original clients emitted `resumed`, BACK_WITHIN_MS after /ready answered. */
  resumedInTime: number;
  connectedOnHub: number;
  publishes: PromiseSettledResult<PublishResult>[];
  ids: string[];
  records: AgentRecord[];
}

describe.each(stores)('a graceful restart of a hub on %s with 1,000 SDK agents', (store, env) => {
  let hub: HubProcess | null = null;
  let publisher: AgentClient | null = null;
  const fleets: WorkerProcess[] = [];
  let o: Outcome;

  const status = async (ids: string[]) => {
    const all = await Promise.all(fleets.map((f) => f.call<{ resumed: number; complete: number }>('status', { ids })));
    return { resumed: all.reduce((s, x) => s + x.resumed, 0), complete: all.reduce((s, x) => s + x.complete, 0) };
  };

  beforeAll(async () => {
    const h = (hub = await HubProcess.start({ env: env() }));
    const perProcess = AGENTS / PROCESSES;
    await Promise.all(
      Array.from({ length: PROCESSES }, async (_, p) => {
        // 250 SDK agents per child process, driven over IPC (the same fixture bench/restart.ts uses).
        const fleet = WorkerProcess.start(FIXTURE);
        fleets.push(fleet);
        const agents = Array.from({ length: perProcess }, (_, i) => `fleet-agent-${p}-${i}`).map((agentId) => ({
          agentId,
          token: h.tokens.issue(agentId),
        }));
        await fleet.call('connect', { url: h.url, agents, topic: TOPIC } satisfies ConnectArgs, 90_000);
      }),
    );
    const pub = (publisher = await connectAgent({
      url: h.url,
      agentId: 'fleet-publisher',
      token: h.tokens.issue('fleet-publisher'),
      requestTimeoutMs: PUBLISH_TIMEOUT_MS,
    }));
    const tag = store.toLowerCase();
    const idsOf = (phase: string) => Array.from({ length: 10 }, (_, i) => `${tag}-${phase}-${i}`);
    const publish = (id: string) => pub.publish(TOPIC, { id }, { priority: 'critical', id });

    const before = idsOf('before');
    for (const id of before) expect((await publish(id)).durable).toBe(true);
    if (!(await until(async () => (await status(before)).complete === AGENTS, Date.now() + 15_000))) {
      throw new Error(`before the restart, only ${(await status(before)).complete} agents handled the first 10 events`);
    }

    const exit = await h.kill('SIGTERM');
    // Fired while the hub is down and not awaited one by one: they must survive the restart.
    const during = Promise.allSettled(idsOf('during').map(publish));
    await h.spawn();
    const readyAt = Date.now();
    const after = Promise.allSettled(idsOf('after').map(publish));
    const ids = [...before, ...idsOf('during'), ...idsOf('after')];

    const allBack = await until(async () => (await status(ids)).resumed === AGENTS, readyAt + BACK_WITHIN_MS);
    const resumedInTime = (await status(ids)).resumed;
    const listed = (await (await h.api('/api/agents')).json()) as { items: AgentInfo[] };
    const connectedOnHub = listed.items.filter((a) => a.id.startsWith('fleet-agent-') && a.connected).length;
    const publishes = [...(await during), ...(await after)];
    // Replays and late deliveries get a little longer, but only when the fleet is back at all.
    if (allBack) await until(async () => (await status(ids)).complete === AGENTS, Date.now() + 10_000);
    const records = (await Promise.all(fleets.map((f) => f.call<AgentRecord[]>('report')))).flat();
    o = { exitCode: exit.code, readyAt, resumedInTime, connectedOnHub, publishes, ids, records };
  }, 150_000);

  afterAll(async () => {
    await publisher?.close();
    await Promise.all(fleets.map((f) => f.stop()));
    await hub?.stop();
  });

  it('stops with exit code 0 and brings back all 1,000 client objects (`resumed`) within 30 s of /ready', () => {
    expect(o.exitCode, 'old hub exit code').toBe(0);
    expect(o.resumedInTime, 'client objects that emitted `resumed`').toBe(AGENTS);
    const late = o.records.filter((r) => r.resumedAt === null || r.resumedAt > o.readyAt + BACK_WITHIN_MS);
    expect(late.map((r) => r.agentId)).toEqual([]);
  });

  it('lists 1,000 connected agents on the new hub', () => {
    expect(o.connectedOnHub, 'fleet agents listed connected by GET /api/agents').toBe(AGENTS);
  });

  it('resolves all 30 publishes (before, during, after the restart) as durable', () => {
    const failures = o.publishes.flatMap((p, i) => (p.status === 'rejected' ? [`#${i}: ${String(p.reason)}`] : []));
    expect(failures).toEqual([]);
    expect(o.publishes.every((p) => p.status === 'fulfilled' && p.value.durable)).toBe(true);
  });

  it('has every agent handle each of the 30 events exactly once', () => {
    const missing = new Map<string, number>();
    const twice = new Map<string, number>();
    for (const r of o.records) {
      for (const id of o.ids) {
        const n = r.handled[id] ?? 0;
        if (n === 0) missing.set(id, (missing.get(id) ?? 0) + 1);
        if (n > 1) twice.set(id, (twice.get(id) ?? 0) + 1);
      }
    }
    const stragglers = o.records.filter((r) => o.ids.some((id) => !r.handled[id]));
    for (const r of stragglers.slice(0, 5))
      console.info(`[restart-fleet] ${r.agentId} missed events; connected=${r.connected}; ${r.notes.join(' | ')}`);
    // Keyed by event id -> number of agents, so a failure reads as which events went wrong where.
    expect({ agents: o.records.length, missing: Object.fromEntries(missing), twice: Object.fromEntries(twice) }).toEqual({
      agents: AGENTS,
      missing: {},
      twice: {},
    });
  });

  it('spreads the announced reconnectAfterMs and the actual reconnect times', () => {
    const announced = o.records.flatMap((r) => (r.reconnectAfterMs === null ? [] : [r.reconnectAfterMs])).sort((a, b) => a - b);
    const took = o.records
      .flatMap((r) => (r.shutdownAt !== null && r.resumedAt !== null ? [r.resumedAt - r.shutdownAt] : []))
      .sort((a, b) => a - b);
    console.info(
      `[restart-fleet ${store}] hub:shutdown seen by ${announced.length}/${AGENTS}; reconnectAfterMs ${announced[0]}..${announced.at(-1)} ms; ` +
        `shutdown -> resumed for ${took.length}: p50 ${percentile(took, 0.5)} ms, p95 ${percentile(took, 0.95)} ms, max ${took.at(-1)} ms`,
    );
    expect(announced.length, 'agents told hub:shutdown').toBe(AGENTS);
    expect(announced.at(-1)! - announced[0]!, 'reconnectAfterMs max - min (ms)').toBeGreaterThanOrEqual(500);
    expect(took.length, 'agents with a shutdown -> resumed time').toBe(AGENTS);
    expect(took.at(-1)! - took[0]!, 'shutdown -> resumed, max - min (ms)').toBeGreaterThanOrEqual(500);
  });
});
