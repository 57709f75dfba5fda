import type { CheckpointRecord, Store } from '@agent-hub/core';
import type { CheckpointWrite } from '@agent-hub/protocol';
import { describe, expect, it } from 'vitest';

const blob = (text: string) => ({ type: 'json', data: Buffer.from(text).toString('base64') });

function checkpoint(threadId: string, id: string, over: Partial<CheckpointRecord> = {}): CheckpointRecord {
  return { threadId, namespace: '', id, parentId: null, checkpoint: blob(`cp-${id}`), metadata: { source: 'loop', step: 1 }, ...over };
}

function write(taskId: string, idx: number, value: string, over: Partial<CheckpointWrite> = {}): CheckpointWrite {
  return { taskId, idx, channel: 'messages', value: blob(value), taskPath: '', ...over };
}

/** Graph checkpoints (LangGraph's saver): stored apart from sessions, listed newest id first. */
export function describeCheckpointContract(store: () => Store): void {
  describe('checkpoints', () => {
    it('reads back a checkpoint by id, and the newest of a namespace without one', async () => {
      const cps = store().checkpoints;
      await cps.putCheckpoint(checkpoint('t1', '0001'));
      await cps.putCheckpoint(checkpoint('t1', '0002', { parentId: '0001', metadata: { source: 'loop', step: 2, parents: {} } }));
      await cps.putCheckpoint(checkpoint('t1', '0009', { namespace: 'child' }));
      expect(await cps.getCheckpoint('t1', '', '0001')).toEqual({ ...checkpoint('t1', '0001'), writes: [] });
      expect(await cps.getCheckpoint('t1', '')).toMatchObject({ id: '0002', parentId: '0001', metadata: { step: 2, parents: {} } });
      expect(await cps.getCheckpoint('t1', 'child')).toMatchObject({ id: '0009', namespace: 'child' });
      expect(await cps.getCheckpoint('t1', '', '0009')).toBeNull();
      expect(await cps.getCheckpoint('other', '')).toBeNull();
    });

    it('replaces a checkpoint put again under the same id', async () => {
      const cps = store().checkpoints;
      await cps.putCheckpoint(checkpoint('t1', '0001'));
      await cps.putCheckpoint(checkpoint('t1', '0001', { metadata: { step: 7 }, checkpoint: blob('new') }));
      expect(await cps.getCheckpoint('t1', '', '0001')).toMatchObject({ metadata: { step: 7 }, checkpoint: blob('new') });
      expect(await cps.listCheckpoints({ threadId: 't1', limit: 10 })).toHaveLength(1);
    });

    it('keeps the first regular write of a task and replaces special (negative idx) ones', async () => {
      const cps = store().checkpoints;
      await cps.putCheckpoint(checkpoint('t1', '0001'));
      await cps.putCheckpointWrites('t1', '', '0001', [
        write('b-task', 1, 'b1'),
        write('b-task', 0, 'b0'),
        write('a-task', -1, 'err-1', { channel: '__error__' }),
      ]);
      await cps.putCheckpointWrites('t1', '', '0001', [
        write('b-task', 0, 'again'),
        write('a-task', -1, 'err-2', { channel: '__error__', taskPath: 'p' }),
      ]);
      const got = await cps.getCheckpoint('t1', '', '0001');
      expect(got?.writes).toEqual([
        write('a-task', -1, 'err-2', { channel: '__error__', taskPath: 'p' }),
        write('b-task', 0, 'b0'),
        write('b-task', 1, 'b1'),
      ]);
    });

    it('lists newest id first with thread, namespace, before, filter and limit, and pages by cursor', async () => {
      const cps = store().checkpoints;
      await cps.putCheckpoint(checkpoint('t1', '0001', { metadata: { source: 'input', step: -1 } }));
      await cps.putCheckpoint(checkpoint('t1', '0003', { metadata: { source: 'loop', step: 0, tags: { a: [1] } } }));
      await cps.putCheckpoint(checkpoint('t2', '0002', { namespace: 'child' }));
      await cps.putCheckpoint(checkpoint('t2', '0003'));
      await cps.putCheckpointWrites('t2', '', '0003', [write('x', 0, 'v')]);
      const ids = async (q: Parameters<typeof cps.listCheckpoints>[0]) =>
        (await cps.listCheckpoints(q)).map((c) => `${c.threadId}/${c.namespace}/${c.id}`);
      expect(await ids({ limit: 10 })).toEqual(['t2//0003', 't1//0003', 't2/child/0002', 't1//0001']);
      expect(await ids({ threadId: 't1', limit: 10 })).toEqual(['t1//0003', 't1//0001']);
      expect(await ids({ namespace: 'child', limit: 10 })).toEqual(['t2/child/0002']);
      expect(await ids({ before: '0003', limit: 10 })).toEqual(['t2/child/0002', 't1//0001']);
      expect(await ids({ filter: { source: 'input' }, limit: 10 })).toEqual(['t1//0001']);
      expect(await ids({ filter: { tags: { a: [1] }, step: 0 }, limit: 10 })).toEqual(['t1//0003']);
      expect(await ids({ filter: { missing: null }, limit: 10 })).toEqual([]);
      expect(await ids({ id: '0003', limit: 10 })).toEqual(['t2//0003', 't1//0003']);
      expect(await ids({ limit: 2 })).toEqual(['t2//0003', 't1//0003']);
      expect(await ids({ limit: 2, after: { id: '0003', threadId: 't1', namespace: '' } })).toEqual(['t2/child/0002', 't1//0001']);
      const [withWrites] = await cps.listCheckpoints({ threadId: 't2', namespace: '', limit: 1 });
      expect(withWrites?.writes).toEqual([write('x', 0, 'v')]);
    });

    it('deletes a thread with all its namespaces and writes, leaving other threads alone', async () => {
      const cps = store().checkpoints;
      await cps.putCheckpoint(checkpoint('t1', '0001'));
      await cps.putCheckpoint(checkpoint('t1', '0002', { namespace: 'child' }));
      await cps.putCheckpointWrites('t1', '', '0001', [write('x', 0, 'v')]);
      await cps.putCheckpoint(checkpoint('t2', '0001'));
      expect(await cps.deleteCheckpointThread('t1')).toBe(2);
      expect(await cps.listCheckpoints({ threadId: 't1', limit: 10 })).toEqual([]);
      expect(await cps.getCheckpoint('t2', '', '0001')).not.toBeNull();
      await cps.putCheckpoint(checkpoint('t1', '0001'));
      expect((await cps.getCheckpoint('t1', '', '0001'))?.writes).toEqual([]);
      expect(await cps.deleteCheckpointThread('nobody')).toBe(0);
    });
  });
}
