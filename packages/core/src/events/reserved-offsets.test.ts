import { describe, expect, it } from 'vitest';
import { HubError } from '@agent-hub/protocol';
import { MemoryStore } from '../memory-store/memory-store.ts';
import { silentLogger } from '../ports/logger.ts';
import { OFFSET_RESERVATION_KEY, ReservedOffsets } from './reserved-offsets.ts';

const drain = async (o: ReservedOffsets, n: number) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await o.next());
  return out;
};

describe('ReservedOffsets', () => {
  it('never hands out a number an earlier run could have handed out, even if none of it was committed', async () => {
    const { kv } = new MemoryStore();
    const first = new ReservedOffsets(kv, silentLogger, 100);
    await first.start(0);
    const handed = await drain(first, 130); // delivered live; the process dies before any commit
    const second = new ReservedOffsets(kv, silentLogger, 100);
    await second.start(0); // the log is still empty
    const next = await second.next();
    expect(next).toBeGreaterThan(Math.max(...handed));
    expect(second.gaps()).toBeGreaterThan(0);
  });

  it('continues from the log when the log is ahead of the reservation', async () => {
    const { kv } = new MemoryStore();
    const o = new ReservedOffsets(kv, silentLogger, 100);
    await o.start(5000);
    expect(await o.next()).toBe(5001);
  });

  it('reserves the next block ahead of use, so numbering does not wait on the store', async () => {
    const { kv } = new MemoryStore();
    const o = new ReservedOffsets(kv, silentLogger, 100);
    await o.start(0);
    const sync = Array.from({ length: 60 }, () => o.next());
    expect(sync.every((v) => typeof v === 'number')).toBe(true);
    await new Promise((r) => setTimeout(r, 0));
    const saved = await kv.getValue<{ upTo: number }>(OFFSET_RESERVATION_KEY);
    expect(saved!.value.upTo).toBeGreaterThanOrEqual(160);
  });

  it('answers STORE_UNAVAILABLE once the reserved block is used up and the store cannot be written', async () => {
    const { kv } = new MemoryStore();
    const o = new ReservedOffsets(kv, silentLogger, 10);
    await o.start(0);
    kv.putValue = async () => {
      throw new HubError('STORE_UNAVAILABLE', 'down');
    };
    await expect(drain(o, 11)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('keeps two writers of one store in disjoint blocks', async () => {
    const { kv } = new MemoryStore();
    const a = new ReservedOffsets(kv, silentLogger, 10);
    const b = new ReservedOffsets(kv, silentLogger, 10);
    await a.start(0);
    await b.start(0);
    const got = [...(await drain(a, 25)), ...(await drain(b, 25)), ...(await drain(a, 25))];
    expect(new Set(got).size).toBe(got.length);
  });
});
