import type { Page } from '@playwright/test';
import { connectAgent, type AgentClient } from '@agent-hub/sdk';
import { issueAgentToken } from './support/hub-api.ts';
import { startHub, type HubProcess } from './support/hub-process.ts';
import { expect, test } from './support/fixtures.ts';

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

async function connect(agentId: string, name: string, capabilities: string[]): Promise<AgentClient> {
  const token = await issueAgentToken(hub, agentId);
  const agent = await connectAgent({ url: hub.url, agentId, token, name, capabilities });
  agents.push(agent);
  return agent;
}

// A string expression: the e2e code is type-checked without the DOM lib.
function storedToken(page: Page): Promise<unknown> {
  return page.evaluate("localStorage.getItem('agentHubToken')");
}

test('shows connected agents live and marks a closed one disconnected', async ({ page, openSignedIn }, testInfo) => {
  const alpha = await connect('alpha', 'Alpha', ['search']);
  await openSignedIn(hub);

  // The token moves to storage and leaves the address bar.
  expect(new URL(page.url()).searchParams.has('token')).toBe(false);
  expect(await storedToken(page)).toBe(hub.operatorToken);

  await expect(page.getByTestId('agent-row-alpha')).toContainText('Alpha');
  await expect(page.getByTestId('agent-row-alpha')).toContainText('search');
  await expect(page.getByTestId('agent-health-alpha')).toHaveText('healthy');

  // Arrives after the page loaded: pushed over the socket, not fetched.
  await connect('beta', 'Beta', ['summarize', 'translate']);
  await expect(page.getByTestId('agent-row-beta')).toContainText('Beta');
  await expect(page.getByTestId('agent-health-beta')).toHaveText('healthy');

  await page.screenshot({ path: testInfo.outputPath('dashboard-agents.png'), fullPage: true });

  await alpha.close();
  agents.splice(agents.indexOf(alpha), 1);
  // The hub may keep the row (disconnected) or drop it with agent:removed; both are correct.
  await expect(async () => {
    const rows = await page.getByTestId('agent-row-alpha').count();
    if (rows === 0) return;
    await expect(page.getByTestId('agent-health-alpha')).toHaveText('disconnected', { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await expect(page.getByTestId('agent-health-beta')).toHaveText('healthy');
  await expect(page.getByTestId('health-timeline').getByRole('listitem').first()).toContainText(/alpha.*disconnected/);

  await page.screenshot({ path: testInfo.outputPath('dashboard-agent-disconnected.png'), fullPage: true });
});

test('rejects a wrong operator token with "Invalid token"', async ({ page }) => {
  await page.goto(hub.url);
  await page.getByLabel('Operator token').fill('not-the-operator-token');
  await page.getByRole('button', { name: 'Sign in' }).click();

  await expect(page.getByRole('alert')).toHaveText('Invalid token');
  await expect(page.getByLabel('Operator token')).toBeVisible();
  expect(await storedToken(page)).toBeNull();
});

test('rejects a wrong token given in the URL, then signs in and out with the right one', async ({ page }) => {
  await page.goto(`${hub.url}/?token=wrong-token`);
  await expect(page.getByRole('alert')).toHaveText('Invalid token');

  await page.getByLabel('Operator token').fill(hub.operatorToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('live-indicator')).toHaveText('live');
  await expect(page.getByRole('tab', { name: /Agents/ })).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByLabel('Operator token')).toBeVisible();
  expect(await storedToken(page)).toBeNull();
});
