import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentSubscriptions } from '@agent-hub/protocol';
import { eventually, json, startTestHub, type TestHub } from './support/test-hub.ts';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(() => t.close());

async function subscriptionsOf(agentId: string): Promise<AgentSubscriptions> {
  const res = await t.api(`/api/agents/${agentId}/subscriptions`);
  expect(res.status).toBe(200);
  return json(res);
}

describe('agent subscriptions and lag', () => {
  it('shows an agent N events behind until it has processed them, then 0', async () => {
    const slow = await t.agent('lag-slow');
    const pub = await t.agent('lag-pub');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let handled = 0;
    await slow.subscribe(['lag:#'], async () => {
      await gate;
      handled++;
    });
    await slow.subscribe(['alerts:*'], () => undefined, { policy: 'full' });

    expect(await subscriptionsOf('lag-slow')).toMatchObject({
      agentId: 'lag-slow',
      connected: true,
      node: t.hub.ctx.state.node,
      subscriptions: [
        { pattern: 'lag:#', policy: t.hub.ctx.config.DEFAULT_REPLAY_POLICY },
        { pattern: 'alerts:*', policy: 'full' },
      ],
      lag: { count: 0, capped: false, limit: 10_000 },
    });

    // Events on other topics take offsets in between: the lag counts the agent's events, not offsets.
    let lastWork = -1;
    for (let i = 0; i < 5; i++) {
      lastWork = (await pub.publish('lag:work', i)).offset;
      await pub.publish('elsewhere:noise', i);
    }
    await eventually(async () => (await subscriptionsOf('lag-slow')).lag?.count === 5, 5000, 'lag of 5');

    release();
    await eventually(() => handled === 5, 5000, 'handled');
    await eventually(async () => (await subscriptionsOf('lag-slow')).lag?.count === 0, 5000, 'lag back to 0');
    expect((await subscriptionsOf('lag-slow')).ackedOffset).toBeGreaterThanOrEqual(lastWork);
  });

  it('lists no subscriptions once the agent has unsubscribed or disconnected', async () => {
    const agent = await t.agent('lag-leaving');
    await agent.subscribe(['leaving:a', 'leaving:b'], () => undefined);
    await agent.unsubscribe(['leaving:a']);
    expect((await subscriptionsOf('lag-leaving')).subscriptions.map((s) => s.pattern)).toEqual(['leaving:b']);

    await agent.close();
    await eventually(async () => !(await subscriptionsOf('lag-leaving')).connected, 5000, 'disconnected');
    expect(await subscriptionsOf('lag-leaving')).toMatchObject({ subscriptions: [], lag: null });
  });

  it('answers AGENT_NOT_FOUND for an agent the hub never saw', async () => {
    const res = await t.api('/api/agents/nobody-here/subscriptions');
    expect(res.status).toBe(404);
    expect((await json(res)).error.code).toBe('AGENT_NOT_FOUND');
  });
});
