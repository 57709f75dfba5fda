import { connectAgent, type AgentClient } from '@agent-hub/sdk';
import { issueAgentToken, operatorRequest } from './support/hub-api.ts';
import { startHub, type HubProcess } from './support/hub-process.ts';
import { expect, test } from './support/fixtures.ts';

const LAGGING = 'lag-watcher';
const LAG_EVENTS = 3;

let hub: HubProcess;
let node: string;
const agents: AgentClient[] = [];
let releaseHandler!: () => void;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  // Samples twice a second, so the charts have points within the test's patience.
  hub = await startHub({ env: { METRICS_SAMPLE_INTERVAL_MS: '500' } });
  node = (await operatorRequest<{ node: string }>(hub, 'GET', '/status')).node;
  const lagging = await connect(LAGGING);
  const gate = new Promise<void>((resolve) => (releaseHandler = resolve));
  await lagging.subscribe(['e2e:lag:#'], async () => {
    await gate;
  });
  const publisher = await connect('charts-publisher');
  for (let i = 0; i < LAG_EVENTS; i++) await publisher.publish('e2e:lag:work', { i });
});

test.afterAll(async () => {
  releaseHandler?.();
  await Promise.all(agents.map((a) => a.close()));
  await hub?.stop();
});

async function connect(agentId: string): Promise<AgentClient> {
  const token = await issueAgentToken(hub, agentId);
  const agent = await connectAgent({ url: hub.url, agentId, token, name: agentId });
  agents.push(agent);
  return agent;
}

test('draws live charts of this node with points and legend values', async ({ page, openSignedIn }, testInfo) => {
  await openSignedIn(hub, '/charts');
  await expect(page.getByRole('tab', { name: /Charts/ })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('charts-scope')).toContainText(`this node (${node})`);

  const throughput = page.getByTestId('chart-throughput');
  await expect(throughput.locator('canvas')).toHaveCount(1);
  await expect(page.getByTestId('chart-latency').locator('canvas')).toHaveCount(1);
  await expect(page.getByTestId('chart-agents').locator('canvas')).toHaveCount(1);

  // Published after the page opened: the pushed samples carry them to the chart.
  const pointsBefore = Number(await throughput.getAttribute('data-points'));
  await operatorRequest(hub, 'POST', '/events', { topic: 'e2e:charts', payload: { n: 1 } });
  await expect.poll(async () => Number(await throughput.getAttribute('data-points'))).toBeGreaterThan(pointsBefore);
  await expect(page.getByTestId('chart-throughput-legend-0')).toContainText(/published \d/);
  await expect(page.getByTestId('chart-agents-legend-0')).toContainText('connected 2');
  await page.screenshot({ path: testInfo.outputPath('charts.png'), fullPage: true });
});

test("shows an agent's subscriptions and its lag as events not yet processed", async ({ page, openSignedIn }, testInfo) => {
  await openSignedIn(hub, `/agents/${LAGGING}`);
  const list = page.getByTestId('agent-subscription-list');
  await expect(list).toContainText('e2e:lag:#');
  await expect(list).toContainText('critical-only');
  await expect(page.getByTestId('agent-lag')).toHaveText(`${LAG_EVENTS} events not yet processed`);
  await page.screenshot({ path: testInfo.outputPath('agent-lag.png'), fullPage: true });

  releaseHandler();
  await expect(page.getByTestId('agent-lag')).toHaveText('0 events not yet processed');
});
