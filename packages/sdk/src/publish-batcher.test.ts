import { describe, expect, it } from 'vitest';
import { HubError, type Ack, type PublishEvent, type PublishResult } from '@agent-hub/protocol';
import { PublishBatcher, estimateBytes } from './publish-batcher.ts';

/** A fake hub: records what went out, as single publishes and as batches, in order. */
function fakeHub(batchAnswer?: (events: PublishEvent[]) => Promise<Array<Ack<PublishResult>>>) {
  const wire: Array<{ kind: 'single' | 'batch'; ids: string[] }> = [];
  const ok = (p: PublishEvent, offset: number): Ack<PublishResult> => ({
    ok: true,
    data: { id: p.id!, offset, durable: true, duplicate: false },
  });
  let offset = 0;
  const b = new PublishBatcher({
    single: async (p) => {
      wire.push({ kind: 'single', ids: [p.id!] });
      return { id: p.id!, offset: ++offset, durable: true, duplicate: false };
    },
    batch: (events) => {
      wire.push({ kind: 'batch', ids: events.map((e) => e.id!) });
      return batchAnswer ? batchAnswer(events) : Promise.resolve(events.map((e) => ok(e, ++offset)));
    },
  });
  return { b, wire };
}
const ev = (id: string, payload: unknown = { n: id }): PublishEvent => ({ id, topic: 'orders:eu', payload });

describe('PublishBatcher', () => {
  it('sends what is published in one turn as one batch, each answered on its own', async () => {
    const { b, wire } = fakeHub();
    const results = await Promise.all(['a', 'b', 'c'].map((id) => b.send(ev(id))));
    expect(wire).toEqual([{ kind: 'batch', ids: ['a', 'b', 'c'] }]);
    expect(results.map((r) => [r.id, r.offset])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
  });

  it('sends a lone publish as event:publish', async () => {
    const { b, wire } = fakeHub();
    await b.send(ev('a'));
    await b.send(ev('b'));
    expect(wire).toEqual([
      { kind: 'single', ids: ['a'] },
      { kind: 'single', ids: ['b'] },
    ]);
  });

  it('sends a large event alone, after what was published before it', async () => {
    const { b, wire } = fakeHub();
    await Promise.all([b.send(ev('a')), b.send(ev('b')), b.send(ev('big', 'x'.repeat(5000))), b.send(ev('c')), b.send(ev('d'))]);
    expect(wire).toEqual([
      { kind: 'batch', ids: ['a', 'b'] },
      { kind: 'single', ids: ['big'] },
      { kind: 'batch', ids: ['c', 'd'] },
    ]);
  });

  it('keeps each batch within its byte budget', async () => {
    const { b, wire } = fakeHub();
    // ~130 characters of payload each, counted at 6 bytes a character (an é): a few per batch.
    await Promise.all(Array.from({ length: 20 }, (_, i) => b.send(ev(`e${i}`, 'é'.repeat(130)))));
    expect(wire.every((w) => w.kind === 'batch')).toBe(true);
    expect(wire.flatMap((w) => w.ids)).toEqual(Array.from({ length: 20 }, (_, i) => `e${i}`));
    expect(wire.length).toBeGreaterThan(3);
  });

  it('rejects only the events the hub refused inside a batch', async () => {
    const { b } = fakeHub(async (events) =>
      events.map((e, i) =>
        i === 1
          ? { ok: false, error: { code: 'FORBIDDEN', message: 'no' } }
          : { ok: true, data: { id: e.id!, offset: i + 1, durable: true, duplicate: false } },
      ),
    );
    const out = await Promise.allSettled([b.send(ev('a')), b.send(ev('b')), b.send(ev('c'))]);
    expect(out.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const err = (out[1] as PromiseRejectedResult).reason as HubError;
    expect(err).toBeInstanceOf(HubError);
    expect(err.code).toBe('FORBIDDEN');
  });

  it('falls back to single publishes on a hub that does not know batches, until the next connection', async () => {
    const { b, wire } = fakeHub(() => Promise.reject(new HubError('NOT_FOUND', 'unknown event "event:publish-batch"')));
    const first = await Promise.all([b.send(ev('a')), b.send(ev('b'))]);
    expect(first.map((r) => r.id)).toEqual(['a', 'b']);
    await Promise.all([b.send(ev('c')), b.send(ev('d'))]);
    expect(wire).toEqual([
      { kind: 'batch', ids: ['a', 'b'] },
      { kind: 'single', ids: ['a'] },
      { kind: 'single', ids: ['b'] },
      { kind: 'single', ids: ['c'] },
      { kind: 'single', ids: ['d'] },
    ]);
    b.reset();
    wire.length = 0;
    await Promise.allSettled([b.send(ev('e')), b.send(ev('f'))]);
    expect(wire[0]).toEqual({ kind: 'batch', ids: ['e', 'f'] });
  });

  it('sends the events of a batch refused as too large one by one', async () => {
    const { b, wire } = fakeHub(() => Promise.reject(new HubError('PAYLOAD_TOO_LARGE', 'payload is 3000 bytes; the limit is 1024')));
    await Promise.all([b.send(ev('a')), b.send(ev('b'))]);
    expect(wire.map((w) => w.kind)).toEqual(['batch', 'single', 'single']);
    // Too large is about that batch, not the hub: the next burst is batched again.
    await Promise.allSettled([b.send(ev('c')), b.send(ev('d'))]);
    expect(wire[3]).toEqual({ kind: 'batch', ids: ['c', 'd'] });
  });

  it('rejects every event of a batch with a transient refusal of the whole (the window retries them)', async () => {
    const { b } = fakeHub(() => Promise.reject(new HubError('RATE_LIMITED', 'busy', { retryAfterMs: 50 })));
    const out = await Promise.allSettled([b.send(ev('a')), b.send(ev('b'))]);
    expect(out.map((o) => (o.status === 'rejected' ? (o.reason as HubError).code : 'ok'))).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
  });
});

describe('estimateBytes', () => {
  const cases: unknown[] = [
    { n: 1 },
    'plain text',
    '\u0000\u0001 control characters escape to six bytes each',
    'quotes " and backslashes \\ escape to two',
    '\u007f\u2028\ud83c',
    'ünïcödé and emoji 🎉🎉',
    [1, -1.7976931348623157e308, true, null, 'x'],
    { nested: { deeper: [{ a: 'b' }, { c: new Date(0) }] } },
    { 'key "with" quotes\n': ['\\'] },
  ];
  it.each(cases)('never undercounts the JSON bytes (%j)', (payload) => {
    const input = { id: 'abc', topic: 'a:b', priority: 'critical' as const, payload, retry: true };
    expect(estimateBytes(input, 1e9)).toBeGreaterThanOrEqual(new TextEncoder().encode(JSON.stringify(input)).length);
  });

  it('stops at its limit, on a cycle too', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(estimateBytes(ev('x', cyclic), 1024)).toBe(Infinity);
    expect(estimateBytes(ev('x', 'y'.repeat(2000)), 1024)).toBe(Infinity);
    expect(estimateBytes(ev('x', 'ÿ'.repeat(200)), 1024)).toBe(Infinity);
  });

  it('sends an object with its own toJSON alone', () => {
    expect(estimateBytes(ev('x', { toJSON: () => 'z'.repeat(10_000) }), 1024)).toBe(Infinity);
  });
});
