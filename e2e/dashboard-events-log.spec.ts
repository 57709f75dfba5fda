import { operatorRequest } from './support/hub-api.ts';
import { startHub, type HubProcess } from './support/hub-process.ts';
import { expect, test } from './support/fixtures.ts';

let hub: HubProcess;

test.beforeAll(async () => {
  hub = await startHub();
});

test.afterAll(async () => {
  await hub?.stop();
});

test('opens a long payload in full', async ({ page, openSignedIn }) => {
  await openSignedIn(hub, '/events');
  const tail = 'END-OF-THE-LONG-PAYLOAD';
  await operatorRequest(hub, 'POST', '/events', { topic: 'big:payload', payload: { text: `${'y'.repeat(400)}${tail}` } });

  const payload = page.getByTestId('event-stream').getByTestId('event-payload').first();
  // Closed, the row shows a cut preview; opened, the whole payload.
  await expect(payload.locator('summary')).not.toContainText(tail);
  await expect(payload.locator('pre')).toBeHidden();
  await payload.locator('summary').click();
  await expect(payload.locator('pre')).toBeVisible();
  await expect(payload.locator('pre')).toContainText(tail);
});

test('browses the persisted log by topic pattern and priority, a page at a time', async ({ page, openSignedIn }) => {
  // 60 events on one topic: one full page of 50 and a second of 10.
  for (let n = 0; n < 60; n++) {
    await operatorRequest(hub, 'POST', '/events', { topic: 'log:page', priority: n === 7 ? 'critical' : 'low', payload: { n } });
  }
  await operatorRequest(hub, 'POST', '/events', { topic: 'other:topic', payload: { n: -1 } });
  await openSignedIn(hub, '/events');

  const log = page.getByTestId('event-log');
  await page.getByTestId('log-patterns').fill('log:#');
  await page.getByRole('button', { name: 'Search log' }).click();
  await expect(log.locator('tbody tr')).toHaveCount(50);
  await expect(log).not.toContainText('other:topic');
  await expect(page.getByTestId('log-page')).toContainText('Page 1');

  await page.getByRole('button', { name: 'Next' }).click();
  await expect(log.locator('tbody tr')).toHaveCount(10);
  await expect(page.getByTestId('log-page')).toContainText('Page 2');
  await expect(log).toContainText('{"n":59}');

  await page.getByRole('button', { name: 'Previous' }).click();
  await expect(log.locator('tbody tr')).toHaveCount(50);
  await expect(log).toContainText('{"n":0}');

  await page.getByTestId('log-priority').selectOption('critical');
  await page.getByRole('button', { name: 'Search log' }).click();
  await expect(log.locator('tbody tr')).toHaveCount(1);
  await expect(log).toContainText('{"n":7}');

  // A time range that ends before any event was published finds nothing.
  await page.getByTestId('log-priority').selectOption('');
  await page.getByTestId('log-to').fill('2000-01-01T00:00:00');
  await page.getByRole('button', { name: 'Search log' }).click();
  await expect(page.getByText('No events match')).toBeVisible();
});

test('shows a reconnecting state with the last update time once the hub stops', async ({ page, openSignedIn }, testInfo) => {
  // A second hub of its own to stop: its start-up alone can take a while on a busy machine.
  test.setTimeout(120_000);
  const own = await startHub();
  try {
    await openSignedIn(own);
    await expect(page.getByTestId('reconnecting-banner')).toBeHidden();
  } finally {
    await own.stop();
  }
  const banner = page.getByTestId('reconnecting-banner');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText(/last update at .+\(\d+ s ago\)/);
  await expect(page.getByTestId('live-indicator')).toHaveText('offline');
  // The hub's last status said "shutting down"; once it is gone that banner is stale.
  await expect(page.getByTestId('shutdown-banner')).toBeHidden();
  await page.screenshot({ path: testInfo.outputPath('reconnecting.png'), fullPage: true });
});
