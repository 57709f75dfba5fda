import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubError } from '@agent-hub/protocol';
import { hubCheckpoints, type AgentClient } from '@agent-hub/sdk';
import { startTestHub, type TestHub } from './support/test-hub.ts';

const blob = (text: string) => ({ type: 'json', data: Buffer.from(text).toString('base64') });

let t: TestHub;
let agent: AgentClient;
beforeAll(async () => {
  t = await startTestHub({ SESSION_LIMIT: '1' });
  agent = await t.agent('checkpointer');
});
afterAll(() => t.close());

describe('checkpoints over the agent socket', () => {
  it('keeps storing and reading checkpoints while new sessions are refused (limit reached, then degraded)', async () => {
    const cps = hubCheckpoints(agent);
    await agent.sessions.create();
    await expect(agent.sessions.create()).rejects.toMatchObject({ code: 'SESSION_LIMIT_REACHED' });
    t.hub.ctx.state.set({ degradedReason: 'test: agents failing', degradedSince: new Date().toISOString() });
    try {
      await expect(agent.sessions.create()).rejects.toMatchObject({ code: 'HUB_DEGRADED' });
      expect(await cps.put({ threadId: 'th-1', id: '0001', checkpoint: blob('{"v":4}'), metadata: { step: 0 } })).toEqual({
        threadId: 'th-1',
        namespace: '',
        id: '0001',
      });
      expect(
        await cps.putWrites({
          threadId: 'th-1',
          checkpointId: '0001',
          writes: [{ taskId: 'task', idx: 0, channel: 'x', value: blob('1') }],
        }),
      ).toEqual({ stored: 1 });
      expect(await cps.get({ threadId: 'th-1' })).toEqual({
        threadId: 'th-1',
        namespace: '',
        id: '0001',
        parentId: null,
        checkpoint: blob('{"v":4}'),
        metadata: { step: 0 },
        writes: [{ taskId: 'task', idx: 0, channel: 'x', value: blob('1'), taskPath: '' }],
      });
    } finally {
      t.hub.ctx.state.set({ degradedReason: null, degradedSince: null });
    }
  });

  it('pages a listing by cursor until next is null', async () => {
    const cps = hubCheckpoints(agent);
    for (let i = 1; i <= 5; i++) await cps.put({ threadId: 'paged', id: `000${i}`, checkpoint: blob('{}') });
    const seen: string[] = [];
    let page = await cps.list({ threadId: 'paged', limit: 2 });
    for (;;) {
      seen.push(...page.items.map((c) => c.id));
      if (!page.next) break;
      page = await cps.list({ threadId: 'paged', limit: 2, after: page.next });
    }
    expect(seen).toEqual(['0005', '0004', '0003', '0002', '0001']);
    expect(await cps.deleteThread('paged')).toEqual({ deleted: 5 });
    expect(await cps.get({ threadId: 'paged' })).toBeNull();
  });

  it('refuses a checkpoint whose bytes are not base64, with VALIDATION_FAILED', async () => {
    const err = await hubCheckpoints(agent)
      .put({ threadId: 'bad', id: '1', checkpoint: { type: 'json', data: 'not base64!' } })
      .catch((e: unknown) => e);
    expect(HubError.is(err, 'VALIDATION_FAILED')).toBe(true);
  });
});
