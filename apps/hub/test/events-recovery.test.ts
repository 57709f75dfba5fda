import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAgent, type AgentClient } from '@agent-hub/sdk';
import type { HubEvent } from '@agent-hub/protocol';
import { HubProcess } from './support/hub-process.ts';
import { AgentProcess } from './support/agent-process.ts';
import { eventually } from './support/test-hub.ts';

// Two hubs: the crash tests must not race a short retention. With a 1.5 s retention, a second
// agent process that took longer than that to start (tsx, two busy cores) found the events it
// had to be redelivered already deleted, and the test failed on a correct hub.
let hub: HubProcess;
let shortRetention: HubProcess;
const clients: AgentClient[] = [];
beforeAll(async () => {
  [hub, shortRetention] = await Promise.all([
    HubProcess.start(),
    HubProcess.start({ env: { EVENT_RETENTION_MS: '1500', EVENT_CLEANUP_INTERVAL_MS: '500' } }),
  ]);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all([hub?.stop(), shortRetention?.stop()]);
});
const agent = async (id: string, on: HubProcess = hub) => {
  const c = await connectAgent({
    url: on.url,
    agentId: id,
    token: on.tokens.issue(id),
    reconnectDelayMs: 100,
    reconnectDelayMaxMs: 300,
  });
  clients.push(c);
  return c;
};

describe('at-least-once across crashes and restarts', () => {
  it('redelivers the event a subscriber crashed on, and only that one, to its next run', async () => {
    const pub = await agent('crash-pub');
    const token = hub.tokens.issue('crash-sub');
    const first = await AgentProcess.start({
      url: hub.url,
      agentId: 'crash-sub',
      token,
      subscribe: ['crash:*'],
      policy: 'full',
      crashOn: 'boom',
    });
    await pub.publish('crash:x', 'one');
    // Generous waits: in CI this file shares two cores with the 1,000-agent restart test.
    const one = await first.waitFor((l) => l.type === 'event' && l.payload === 'one', 20_000);
    // The hub has the ack for "one" (a fixed pause raced it on a busy machine).
    const acked = async () =>
      ((await (await hub.api('/api/agents/crash-sub/subscriptions')).json()) as { ackedOffset: number | null }).ackedOffset;
    await eventually(async () => ((await acked()) ?? -1) >= (one.offset as number), 20_000, 'the ack for "one"');
    await pub.publish('crash:x', 'boom');
    const crash = await first.waitFor((l) => l.type === 'crashing', 20_000);
    await pub.publish('crash:x', 'three');
    // A new process with no memory of its own: the hub knows how far it got.
    const second = await AgentProcess.start({ url: hub.url, agentId: 'crash-sub', token, subscribe: ['crash:*'], policy: 'full' });
    await second.waitFor((l) => l.type === 'event' && l.payload === 'three', 20_000);
    const handled = second.events().map((l) => l.payload);
    expect(handled).toEqual(['boom', 'three']);
    expect(second.events()[0]!.id).toBe(crash.id);
    await Promise.all([first.stop(), second.stop()]);
  }, 90_000);

  it('resumes after a hub restart with nothing missed', async () => {
    const pub = await agent('restart-pub');
    const sub = await agent('restart-sub');
    const got: HubEvent[] = [];
    await sub.subscribe(['hubrestart:*'], (e) => void got.push(e), { policy: 'full' });
    await pub.publish('hubrestart:x', 1);
    await eventually(() => got.length === 1);
    await hub.kill('SIGKILL');
    await hub.spawn();
    // The publisher is back first; the subscriber reconnects (with its offset) after these.
    await eventually(() => pub.connected, 10_000, 'publisher reconnected');
    for (const n of [2, 3, 4]) await pub.publish('hubrestart:x', n);
    await eventually(() => got.length === 4, 10_000, 'subscriber caught up');
    expect(got.map((e) => e.payload)).toEqual([1, 2, 3, 4]);
  });
});

describe('retention', () => {
  it('deletes events older than the retention period in the background', async () => {
    const pub = await agent('retention-pub', shortRetention);
    const old = await pub.publish('retention:x', 'old');
    const before = async () =>
      ((await (await shortRetention.api('/api/events?patterns=retention:x')).json()) as { items: Array<{ id: string }> }).items.map(
        (e) => e.id,
      );
    expect(await before()).toContain(old.id);
    await eventually(async () => !(await before()).includes(old.id), 8000, 'old event removed');
  });
});
