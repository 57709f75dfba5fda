import { operatorRequest } from './support/hub-api.ts';
import { startHub, type HubProcess } from './support/hub-process.ts';
import { expect, test } from './support/fixtures.ts';

// Only the fields these tests read (e2e depends on the SDK, not on the protocol package).
interface CreatedSession {
  id: string;
}
interface PublishResult {
  offset: number;
}

let hub: HubProcess;

test.beforeAll(async () => {
  hub = await startHub();
});

test.afterAll(async () => {
  await hub?.stop();
});

function createSession(content: string): Promise<CreatedSession> {
  return operatorRequest<CreatedSession>(hub, 'POST', '/sessions', {
    members: ['alpha'],
    messages: [{ role: 'user', author: 'e2e', content }],
  });
}

test('lists sessions, adds new ones live and shows a session history', async ({ page, openSignedIn }, testInfo) => {
  const before = await createSession('created before the page loaded');
  await openSignedIn(hub);
  await page.getByRole('tab', { name: /Sessions/ }).click();
  await expect(page.getByTestId(`session-row-${before.id}`)).toContainText(before.id.slice(0, 8));

  const after = await createSession('created while watching');
  await expect(page.getByTestId(`session-row-${after.id}`)).toContainText('alpha');

  await page.getByTestId(`session-row-${after.id}`).click();
  const detail = page.getByTestId('session-detail');
  await expect(detail).toContainText('created while watching');

  // A new message bumps the version over the socket, and the open panel refetches the history.
  await operatorRequest(hub, 'POST', `/sessions/${after.id}/messages`, {
    messages: [{ role: 'operator', author: 'e2e', content: 'a later message' }],
  });
  await expect(detail).toContainText('a later message');
  await expect(page.getByTestId(`session-row-${after.id}`).getByRole('cell', { name: '2', exact: true })).toBeVisible();

  await page.screenshot({ path: testInfo.outputPath('dashboard-sessions.png'), fullPage: true });
});

test('streams events live and filters them by topic pattern', async ({ page, openSignedIn }, testInfo) => {
  await openSignedIn(hub);
  await page.getByRole('tab', { name: /Events/ }).click();

  const eu = await operatorRequest<PublishResult>(hub, 'POST', '/events', { topic: 'orders:eu:created', payload: { n: 1 } });
  await operatorRequest(hub, 'POST', '/events', { topic: 'agent:alpha', payload: { n: 2 } });

  const stream = page.getByTestId('event-stream');
  await expect(stream).toContainText('orders:eu:created');
  await expect(stream).toContainText('agent:alpha');
  expect(eu.offset).toBeGreaterThanOrEqual(0);

  await page.getByTestId('topic-filter').fill('orders:#');
  await expect(stream).toContainText('orders:eu:created');
  await expect(stream).not.toContainText('agent:alpha');

  await page.screenshot({ path: testInfo.outputPath('dashboard-events.png'), fullPage: true });
});
