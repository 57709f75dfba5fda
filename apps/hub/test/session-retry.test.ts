import { afterAll, describe, expect, it } from 'vitest';
import { SessionService, systemClock, uuidV7, type SessionStore, type Store } from '@agent-hub/core';
import { createTestDatabaseOrSkip, openPgliteStore, openPostgresStore, PGLITE_IN_MEMORY } from '@agent-hub/store';

const pg = await createTestDatabaseOrSkip('session retry helper (PostgreSQL)');
afterAll(async () => pg?.drop());

const stores: Array<[string, () => Promise<Store>]> = [['PGlite', () => openPgliteStore({ dataDir: PGLITE_IN_MEMORY })]];
if (pg) stores.push(['PostgreSQL', () => openPostgresStore({ url: pg.url })]);

describe.each(stores)('update(id, mutate) with retry on %s', (_name, open) => {
  it('re-reads and re-applies on conflict so concurrent increments are all kept', async () => {
    const store = await open();
    // Two services on one store stand for two hub processes: caches apart, the store shared.
    const make = (sessions: SessionStore) => new SessionService({ store: sessions, clock: systemClock, newId: uuidV7, cacheSize: 10 });
    // The other process always wins the first race: a's first write finds b's committed just
    // before it, so at least one conflict happens (and is re-applied) whatever the timing.
    let raced = false;
    // The racing write contends with the others too and may give up after its tries: count it
    // only if it succeeded (a failure thrown into a's write would be retried there as a's own).
    let racedOk = 0;
    const racing = new Proxy(store.sessions, {
      get: (target, key) =>
        key === 'updateSession'
          ? async (...args: Parameters<SessionStore['updateSession']>) => {
              if (!raced) {
                raced = true;
                await bump(b).then(
                  () => racedOk++,
                  (err: { code?: string }) => expect(err.code).toBe('SESSION_VERSION_CONFLICT'),
                );
              }
              return target.updateSession(...args);
            }
          : Reflect.get(target, key, target),
    });
    const [a, b] = [make(racing), make(store.sessions)];
    const op = { kind: 'operator' } as const;
    const s = await a.create(op, { members: [], metadata: { n: 0 }, messages: [] });
    let conflicts = 0;
    a.on('conflict', () => conflicts++);
    b.on('conflict', () => conflicts++);
    const bump = (svc: SessionService) => svc.updateWith(op, s.id, (cur) => ({ metadata: { n: (cur.metadata.n as number) + 1 } }));
    const results = await Promise.allSettled([bump(a), bump(b), bump(a), bump(b)]);
    const ok = results.filter((r) => r.status === 'fulfilled').length + racedOk;
    const final = await a.get(op, s.id, false);
    // Every success is counted exactly once; a write that gave up after 3 tries is reported, not lost silently.
    expect(final.metadata.n).toBe(ok);
    for (const r of results) if (r.status === 'rejected') expect(r.reason.code).toBe('SESSION_VERSION_CONFLICT');
    expect(ok).toBeGreaterThanOrEqual(2);
    expect(conflicts).toBeGreaterThan(0);
    await store.close();
  });
});
