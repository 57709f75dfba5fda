import { connectAgent, type AgentClient, type EventHandler } from '@agent-hub/sdk';
import { issueAgentToken, operatorRequest } from './support/hub-api.ts';
import { startHub, type HubProcess } from './support/hub-process.ts';
import { expect, test } from './support/fixtures.ts';

type HubEvent = Parameters<EventHandler>[0];
/** The fields of `GET /api/deadletters` items this spec reads. */
interface DeadLetter {
  id: string;
  eventId: string;
  status: string;
}

let hub: HubProcess;
const agents: AgentClient[] = [];

test.beforeAll(async () => {
  hub = await startHub();
});

test.afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

test.afterAll(async () => {
  await hub?.stop();
});

/** An SDK agent whose handler throws while `failing` is set, so its events end as dead letters. */
async function flakyAgent(agentId: string, topic: string) {
  const token = await issueAgentToken(hub, agentId);
  const agent = await connectAgent({ url: hub.url, agentId, token, handlerAttempts: 2, handlerBackoffMs: 5 });
  agents.push(agent);
  agent.on('error', () => undefined);
  const state = { failing: true, handled: [] as HubEvent[] };
  await agent.subscribe([topic], (e) => {
    if (state.failing) throw new Error('downstream unavailable');
    state.handled.push(e);
  });
  return { agent, state };
}

async function deadLetterOf(eventId: string): Promise<DeadLetter> {
  let found: DeadLetter | undefined;
  await expect
    .poll(async () => {
      const { items } = await operatorRequest<{ items: DeadLetter[] }>(hub, 'GET', '/deadletters');
      found = items.find((d) => d.eventId === eventId);
      return found?.status;
    })
    .toBe('open');
  return found!;
}

test('retries a dead letter: the agent handles the event again and the row shows retried', async ({ page, openSignedIn }, testInfo) => {
  const { state } = await flakyAgent('e2e-dl-worker', 'orders:charge');
  await openSignedIn(hub, '/events');
  const published = await operatorRequest<{ id: string }>(hub, 'POST', '/events', { topic: 'orders:charge', payload: { order: 42 } });
  const letter = await deadLetterOf(published.id);

  const row = page.locator(`[data-testid="dead-letter"][data-id="${letter.id}"]`);
  await expect(row).toContainText('downstream unavailable');
  await expect(row.getByTestId('dead-letter-status')).toHaveText('open');

  state.failing = false;
  await row.getByRole('button', { name: 'Retry' }).click();
  await expect(row.getByTestId('dead-letter-status')).toHaveText('retried');
  await expect(row.getByRole('button', { name: 'Retry' })).toHaveCount(0);
  await expect(row).toContainText('by operator');
  await expect.poll(() => state.handled.map((e) => e.id)).toEqual([published.id]);
  await page.screenshot({ path: testInfo.outputPath('dead-letter-retried.png'), fullPage: true });
});

test('shows the hub error code inline when the agent is offline, then discards the letter', async ({ page, openSignedIn }) => {
  const { agent } = await flakyAgent('e2e-dl-gone', 'orders:refund');
  const published = await operatorRequest<{ id: string }>(hub, 'POST', '/events', { topic: 'orders:refund', payload: { order: 7 } });
  const letter = await deadLetterOf(published.id);
  await agent.close();
  await openSignedIn(hub, '/events');

  const row = page.locator(`[data-testid="dead-letter"][data-id="${letter.id}"]`);
  await row.getByRole('button', { name: 'Retry' }).click();
  await expect(row.getByTestId('dead-letter-error')).toContainText('AGENT_OFFLINE');
  await expect(row.getByTestId('dead-letter-status')).toHaveText('open');

  await row.getByRole('button', { name: 'Discard' }).click();
  await expect(row.getByTestId('dead-letter-status')).toHaveText('discarded');
  await expect(row.getByTestId('dead-letter-error')).toHaveCount(0);
});
