import { describe, expect, it } from 'vitest';
import type { AgentRecord, AgentStore } from '../ports/store.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { AgentRecordWriter } from './agent-record-writer.ts';

/** A store whose writes the test completes by hand, recording what each carried. */
class HeldStore implements AgentStore {
  readonly writes: Array<{ ids: string[]; finish: (err?: Error) => void }> = [];
  async upsertAgent(): Promise<void> {
    throw new Error('the writer only writes batches');
  }
  upsertAgents(recs: AgentRecord[]): Promise<void> {
    return new Promise((resolve, reject) =>
      this.writes.push({ ids: recs.map((r) => `${r.id}:${r.name}`), finish: (err) => (err ? reject(err) : resolve()) }),
    );
  }
  async getAgent(): Promise<AgentRecord | null> {
    return null;
  }
  async listAgents(): Promise<AgentRecord[]> {
    return [];
  }
}

const rec = (id: string, name = id): AgentRecord => ({
  id,
  name,
  capabilities: [],
  priority: 0,
  recovery: 'alert',
  meta: {},
  registeredAt: 0,
});
const tick = () => new Promise((r) => setImmediate(r));

describe('AgentRecordWriter', () => {
  it('sends the records that arrive during a write together in the next one', async () => {
    const store = new HeldStore();
    const writer = new AgentRecordWriter(store, new FakeClock());
    writer.write(rec('a'));
    await tick();
    expect(store.writes.map((w) => w.ids)).toEqual([['a:a']]);
    for (const id of ['b', 'c', 'd']) writer.write(rec(id));
    await tick();
    expect(store.writes).toHaveLength(1);
    expect(writer.pending).toBe(3);
    store.writes[0]!.finish();
    await tick();
    expect(store.writes.map((w) => w.ids)).toEqual([['a:a'], ['b:b', 'c:c', 'd:d']]);
    store.writes[1]!.finish();
    await tick();
    expect(writer.pending).toBe(0);
  });

  it('writes only the latest record of an agent registered twice before it went out', async () => {
    const store = new HeldStore();
    const writer = new AgentRecordWriter(store, new FakeClock());
    writer.write(rec('x'));
    await tick();
    writer.write(rec('a', 'old'));
    writer.write(rec('a', 'new'));
    store.writes[0]!.finish();
    await tick();
    expect(store.writes[1]!.ids).toEqual(['a:new']);
  });

  it('keeps the records of a failed write and writes them again after a backoff', async () => {
    const store = new HeldStore();
    const clock = new FakeClock();
    const errors: number[] = [];
    const writer = new AgentRecordWriter(store, clock, (_err, queued) => errors.push(queued));
    writer.write(rec('a'));
    writer.write(rec('b'));
    await tick();
    store.writes[0]!.finish(new Error('store down'));
    await tick();
    expect(errors).toEqual([2]);
    // A newer record of `b` arrives during the outage: it is the one written later.
    writer.write(rec('b', 'newer'));
    await tick();
    expect(store.writes).toHaveLength(1);
    clock.advance(999);
    await tick();
    expect(store.writes).toHaveLength(1);
    clock.advance(1);
    await tick();
    expect(store.writes[1]!.ids.sort()).toEqual(['a:a', 'b:newer']);
    store.writes[1]!.finish();
    await tick();
    expect(writer.pending).toBe(0);
  });

  it('drain writes what is queued, without waiting for a scheduled retry', async () => {
    const store = new HeldStore();
    const clock = new FakeClock();
    const writer = new AgentRecordWriter(store, clock);
    writer.write(rec('a'));
    await tick();
    store.writes[0]!.finish(new Error('store down'));
    await tick();
    const drained = writer.drain();
    await tick();
    expect(store.writes[1]!.ids).toEqual(['a:a']);
    store.writes[1]!.finish();
    await drained;
    expect(writer.pending).toBe(0);
  });
});
