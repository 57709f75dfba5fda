import type { Page } from '@playwright/test';
import { connectAgent, type AgentClient } from '@agent-hub/sdk';
import { issueAgentToken, operatorRequest } from './support/hub-api.ts';
import { startHub, type HubProcess } from './support/hub-process.ts';
import { expect, test } from './support/fixtures.ts';

// Only the fields these tests read (e2e depends on the SDK, not on the protocol package).
interface CreatedSession {
  id: string;
}

// Four agents share one name on purpose: only their ids tell them apart.
const SHARED_NAME = 'Example agent';
const HEALTHY = ['aa-healthy', 'mm-healthy'];
const GONE = 'zz-gone';

let hub: HubProcess;
const agents = new Map<string, AgentClient>();

test.beforeAll(async () => {
  test.setTimeout(120_000);
  hub = await startHub();
  for (const id of [...HEALTHY, GONE]) await connect(id);
  // A disconnected agent stays listed: the hub keeps its row and history.
  await agents.get(GONE)!.close();
  agents.delete(GONE);
  await expect.poll(async () => (await operatorRequest<{ health: string }>(hub, 'GET', `/agents/${GONE}`)).health).toBe('disconnected');
});

test.afterAll(async () => {
  await Promise.all([...agents.values()].map((a) => a.close()));
  await hub?.stop();
});

async function connect(agentId: string): Promise<void> {
  const token = await issueAgentToken(hub, agentId);
  agents.set(agentId, await connectAgent({ url: hub.url, agentId, token, name: SHARED_NAME }));
}

function pathOf(page: Page): string {
  return new URL(page.url()).pathname;
}

/** The `data-at` of each timeline entry, top to bottom. */
function timelineTimes(page: Page, testId: string): Promise<string[]> {
  return page
    .getByTestId(testId)
    .locator('li[data-at]')
    .evaluateAll((items) => items.map((i) => i.getAttribute('data-at') ?? ''));
}

function isNewestFirst(times: string[]): boolean {
  return times.every((t, i) => i === 0 || times[i - 1]! >= t);
}

function secondsAgo(text: string | null): number {
  const match = /^(\d+) s ago$/.exec(text ?? '');
  if (!match) throw new Error(`not an "N s ago" time: ${text}`);
  return Number(match[1]);
}

test('lists problem agents first with counts by state and a ticking last-seen time', async ({ page, openSignedIn }, testInfo) => {
  await openSignedIn(hub);
  const rows = page.getByTestId('agent-table').locator('tbody tr');
  await expect(rows).toHaveCount(3);

  // zz-gone sorts last by name, but a disconnected agent comes before healthy ones.
  await expect(rows.first()).toHaveAttribute('data-testid', `agent-row-${GONE}`);
  await expect(rows.first()).toHaveClass(/row-problem/);
  await expect(page.getByTestId(`agent-row-${HEALTHY[0]}`)).not.toHaveClass(/row-problem/);
  await expect(page.getByTestId('agent-count-disconnected')).toContainText('1');
  await expect(page.getByTestId('agent-count-healthy')).toContainText('2');

  // The disconnected agent's last-seen time is frozen on the hub; the page counts up on its own.
  const lastSeen = page.getByTestId(`agent-last-seen-${GONE}`);
  const first = secondsAgo(await lastSeen.textContent());
  await expect.poll(async () => secondsAgo(await lastSeen.textContent()), { timeout: 5_000 }).toBeGreaterThan(first);

  // Filled over REST on load: every transition happened before the page opened.
  const timeline = page.getByTestId('health-timeline');
  await expect(timeline.locator('li[data-at]').first()).toContainText(GONE);
  await expect(timeline.locator('li[data-at]').first()).toContainText('disconnected');
  for (const id of HEALTHY) await expect(timeline).toContainText(id);
  await expect(timeline).not.toContainText(SHARED_NAME);
  expect(isNewestFirst(await timelineTimes(page, 'health-timeline'))).toBe(true);

  await page.screenshot({ path: testInfo.outputPath('agents-problems-first.png'), fullPage: true });
});

test('opens an agent page from a deep link with its history, sessions and recovery strategy', async ({ page, openSignedIn }, testInfo) => {
  const session = await operatorRequest<CreatedSession>(hub, 'POST', '/sessions', {
    members: [GONE],
    messages: [{ role: 'user', author: 'e2e', content: 'hello from the agent page' }],
  });
  await openSignedIn(hub, `/agents/${GONE}`);

  const detail = page.getByTestId('agent-detail');
  await expect(detail).toContainText(`Agent ${GONE}`);
  await expect(page.getByTestId('agent-detail-health')).toHaveText('disconnected');
  await expect(page.getByTestId('agent-detail-recovery')).not.toBeEmpty();
  const history = page.getByTestId('agent-detail-history');
  await expect(history.locator('li[data-at]').first()).toContainText('disconnected');
  await expect(history).toContainText('healthy');
  expect(isNewestFirst(await timelineTimes(page, 'agent-detail-history'))).toBe(true);
  await expect(page.getByTestId('agent-detail-errors')).toContainText('disconnected');
  await page.screenshot({ path: testInfo.outputPath('agent-detail.png'), fullPage: true });

  // The session links to its own URL.
  await page
    .getByTestId('agent-detail-sessions')
    .getByRole('link', { name: session.id.slice(0, 8) })
    .click();
  expect(pathOf(page)).toBe(`/sessions/${session.id}`);
  await expect(page.getByTestId('session-detail')).toContainText('hello from the agent page');

  // Tabs change the URL; back and forward walk through them.
  await page.getByRole('tab', { name: /Events/ }).click();
  expect(pathOf(page)).toBe('/events');
  await page.goBack();
  expect(pathOf(page)).toBe(`/sessions/${session.id}`);
  await expect(page.getByTestId('session-detail')).toBeVisible();
  await page.goBack();
  expect(pathOf(page)).toBe(`/agents/${GONE}`);
  await expect(page.getByTestId('agent-detail')).toBeVisible();
  await page.goForward();
  await expect(page.getByTestId('session-detail')).toBeVisible();

  // A reload of a deep link is served by the hub (index.html) and opens the same entity.
  await page.reload();
  await expect(page.getByTestId('session-detail')).toContainText('hello from the agent page');
  await expect(page.getByRole('tab', { name: /Sessions/ })).toHaveAttribute('aria-selected', 'true');
});

test('opens the events view and an unknown group from their URLs', async ({ page, openSignedIn }) => {
  await openSignedIn(hub, '/events');
  await expect(page.getByRole('tab', { name: /Events/ })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('event-log-form')).toBeVisible();

  await page.goto(`${hub.url}/groups/no-such-group`);
  await expect(page.getByTestId('group-detail-missing')).toContainText('No group no-such-group');
});

test('fits a 390 px wide phone without sideways scrolling', async ({ page, openSignedIn }, testInfo) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await operatorRequest(hub, 'POST', '/events', { topic: 'phone:wide', payload: { text: 'x'.repeat(600) } });
  await openSignedIn(hub);
  for (const path of ['/agents', `/agents/${GONE}`, '/sessions', '/groups', '/events', '/charts']) {
    await page.goto(`${hub.url}${path}`);
    await expect(page.getByTestId('live-indicator')).toHaveText('live');
    await expect(page.getByRole('tab', { name: /Events/ })).toBeInViewport();
    // A string expression: the e2e code is type-checked without the DOM lib.
    const fits = await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth');
    expect(fits, `${path} scrolls sideways`).toBe(true);
    await page.screenshot({ path: testInfo.outputPath(`phone${path.replaceAll('/', '-')}.png`), fullPage: true });
  }
});
