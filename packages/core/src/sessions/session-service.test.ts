import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../ports/logger.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { SessionService, type Actor } from './session-service.ts';
import { OutageStore } from './testing/outage-store.ts';
import { WriteOutbox } from './write-outbox.ts';
import { flush, MemoryJournal } from './testing/memory-journal.ts';

const OPERATOR: Actor = { kind: 'operator' };
const ann: Actor = { kind: 'agent', id: 'ann' };
const QUEUE_AFTER_MS = 500;
/** As the HTTP and socket edges call: a pending answer is an answer. */
const EDGE = { boundedWait: true };

async function hub() {
  const store = new OutageStore();
  const clock = new FakeClock();
  const outbox = new WriteOutbox(
    { store, journal: new MemoryJournal(), clock, log: silentLogger, ping: () => store.ping(), random: () => 0.5 },
    { flushIntervalMs: 3_600_000, alertAfterMs: 3_600_000, probeIntervalMs: 500, probeTimeoutMs: QUEUE_AFTER_MS },
  );
  await outbox.start();
  const service = new SessionService({ store, clock, newId: randomUUID, cacheSize: 10, outbox, queueAfterMs: QUEUE_AFTER_MS });
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 50) {
      clock.advance(50);
      await flush();
    }
  };
  return { store, clock, outbox, service, advance };
}

/** A promise's outcome so far, without waiting for it. */
function watch<T>(p: Promise<T>) {
  const w: { done: boolean; value?: T; error?: unknown } = { done: false };
  p.then(
    (value) => Object.assign(w, { done: true, value }),
    (error: unknown) => Object.assign(w, { done: true, error }),
  );
  return w;
}

const text = (content: string, id?: string) => ({ id, role: 'agent' as const, content, metadata: {} });

describe('session writes while the store is down', () => {
  it('answers an append pending once the store has been silent for queueAfterMs and to a ping, and later ones at once', async () => {
    const { store, service, advance } = await hub();
    const s = await service.create(OPERATOR, { members: [], metadata: {}, messages: [] });
    store.mode = 'hanging';
    const first = watch(service.append(OPERATOR, s.id, undefined, [text('one')], EDGE));
    await advance(2 * QUEUE_AFTER_MS - 50);
    expect(first.done).toBe(false);
    await advance(100);
    expect(first.value).toMatchObject({ session: null, pending: { position: 1 } });
    // The outbox now knows the store is failing: nothing waits on it any more.
    const second = watch(service.append(OPERATOR, s.id, undefined, [text('two')], EDGE));
    await flush();
    expect(second.value).toMatchObject({ session: null, pending: { position: 2 } });
  });

  it("does not hold an agent's append up on the membership check when it was seen in the session", async () => {
    const { store, service, advance } = await hub();
    const s = await service.create(ann, { members: [], metadata: {}, messages: [] });
    store.mode = 'hanging';
    const first = watch(service.append(ann, s.id, undefined, [text('one')], EDGE));
    // One wait (the membership read, then a ping), not two (read, then write).
    await advance(2 * QUEUE_AFTER_MS + 50);
    expect(first.value).toMatchObject({ pending: { position: 1 } });
    const second = watch(service.append(ann, s.id, undefined, [text('two')], EDGE));
    await flush();
    expect(second.value).toMatchObject({ pending: { position: 2 } });
    // Never seen in this session: no membership to trust, so the store must answer, and cannot.
    const stranger = watch(service.append({ kind: 'agent', id: 'bob' }, s.id, undefined, [text('intrusion')], EDGE));
    await advance(2000);
    expect(stranger.done).toBe(false);
    store.mode = 'refusing';
    store.release();
    await flush();
    expect(stranger.error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('applies an append whose first attempt outlived its wait exactly once, before the writes queued after it', async () => {
    const { store, service, outbox, advance } = await hub();
    const s = await service.create(OPERATOR, { members: [], metadata: {}, messages: [] });
    store.mode = 'hanging';
    const slow = watch(service.append(OPERATOR, s.id, undefined, [text('slow')], EDGE));
    await advance(2 * QUEUE_AFTER_MS + 50);
    expect(slow.value).toMatchObject({ pending: { position: 1 } });
    const next = watch(service.append(OPERATOR, s.id, undefined, [text('next')], EDGE));
    await flush();
    expect(next.value).toMatchObject({ pending: { position: 2 } });
    // The store comes back and the slow first attempt commits after all; then the outbox drains.
    store.mode = 'up';
    store.release();
    await advance(1000);
    expect(outbox.size).toBe(0);
    expect(await store.contents(s.id)).toEqual(['slow', 'next']);
  });

  it('answers a retry of a pending append with the same pending answer, and after the drain with the original result', async () => {
    const { store, service, outbox, advance } = await hub();
    const s = await service.create(OPERATOR, { members: [], metadata: {}, messages: [] });
    store.mode = 'refusing';
    const batch = [text('once', 'm-1'), text('only once', 'm-2')];
    const first = await service.append(OPERATOR, s.id, undefined, batch);
    expect(first).toMatchObject({ pending: { position: 1 } });
    expect(await service.append(OPERATOR, s.id, undefined, batch)).toMatchObject({ pending: { position: 1 }, duplicate: true });
    expect(outbox.size).toBe(1);
    store.mode = 'up';
    await advance(1000);
    expect(outbox.size).toBe(0);
    const later = await service.append(OPERATOR, s.id, undefined, [text('later', 'm-3')]);
    // The retry names the version it was first based on; the session has moved on since.
    const retry = await service.append(OPERATOR, s.id, 1, batch);
    expect(retry.duplicate).toBe(true);
    expect(retry.messages.map((m) => [m.seq, m.id, m.content])).toEqual([
      [1, 'm-1', 'once'],
      [2, 'm-2', 'only once'],
    ]);
    expect(retry.session!.version).toBeLessThan(later.session!.version);
    expect(await store.contents(s.id)).toEqual(['once', 'only once', 'later']);
  });

  it('gives every message an id, the client one or a new one, and does not announce a retry as a change', async () => {
    const { service } = await hub();
    const s = await service.create(OPERATOR, { members: [], metadata: {}, messages: [] });
    const first = await service.append(OPERATOR, s.id, undefined, [text('mine', 'my-id'), text('unnamed')]);
    expect(first.messages[0]!.id).toBe('my-id');
    expect(first.messages[1]!.id).toMatch(/^[0-9a-f-]{36}$/);
    const announced: number[] = [];
    service.on('updated', (x) => announced.push(x.version));
    const retry = await service.append(OPERATOR, s.id, undefined, [text('mine', 'my-id'), text('unnamed', first.messages[1]!.id)]);
    expect(retry).toMatchObject({ duplicate: true, session: { version: first.session!.version } });
    expect(announced).toEqual([]);
  });

  it('keeps waiting for a store that is only slow: it still answers pings', async () => {
    const { store, service, outbox, advance } = await hub();
    const s = await service.create(OPERATOR, { members: [], metadata: {}, messages: [] });
    store.mode = 'slow';
    const appended = watch(service.append(OPERATOR, s.id, undefined, [text('busy')], EDGE));
    await advance(5000);
    expect(appended.done).toBe(false);
    expect(outbox.size).toBe(0);
    store.mode = 'up';
    store.release();
    await flush();
    expect(appended.value).toMatchObject({ messages: [{ seq: 1, content: 'busy' }] });
  });

  it('waits on a slow store for callers that need the stored result', async () => {
    const { store, service, advance } = await hub();
    const s = await service.create(OPERATOR, { members: [], metadata: {}, messages: [] });
    store.mode = 'hanging';
    const appended = watch(service.append(OPERATOR, s.id, undefined, [text('needed')]));
    await advance(3000);
    expect(appended.done).toBe(false);
    store.mode = 'up';
    store.release();
    await flush();
    expect(appended.value).toMatchObject({ messages: [{ seq: 1, content: 'needed' }] });
  });

  it('waits on a slow store for an agent state write instead of queueing it after a wait', async () => {
    const { store, service, advance } = await hub();
    const s = await service.create(OPERATOR, { members: [], metadata: {}, messages: [] });
    store.mode = 'hanging';
    const state = watch(service.setAgentState(OPERATOR, s.id, undefined, 'ann', { step: 1 }));
    await advance(3000);
    // A late first attempt could land after writes queued behind it and undo them.
    expect(state.done).toBe(false);
    store.mode = 'up';
    store.release();
    await flush();
    expect(state.value).toMatchObject({ agentState: { ann: { step: 1 } } });
  });
});

describe('sessions changed behind the service', () => {
  it('announces each one that still exists as updated, and skips one gone or unreadable', async () => {
    const { store, service } = await hub();
    const s = await service.create(OPERATOR, { members: [], metadata: {}, messages: [] });
    const announced: string[] = [];
    service.on('updated', (x) => announced.push(x.id));
    service.announceChanged([s.id, randomUUID()]);
    await flush();
    expect(announced).toEqual([s.id]);
    store.mode = 'refusing';
    service.announceChanged([s.id]);
    await flush();
    expect(announced).toEqual([s.id]);
  });
});
