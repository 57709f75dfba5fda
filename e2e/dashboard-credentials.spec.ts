import { expect, test } from '@playwright/test';
import { operatorRequest } from './support/hub-api.ts';
import { startHub, type HubProcess } from './support/hub-process.ts';

let hub: HubProcess;

// The answers this spec reads (e2e depends on the SDK only, not the protocol package).
interface Group {
  id: string;
}
interface IssuedOperatorToken {
  token: string;
}

test.beforeAll(async () => {
  hub = await startHub();
});

test.afterAll(async () => {
  await hub?.stop();
});

test('a read token sees groups without the operate buttons, and opens the audit log', async ({ page }, testInfo) => {
  const group = await operatorRequest<Group>(hub, 'POST', '/groups', { members: ['writer', 'critic'] });
  const read = await operatorRequest<IssuedOperatorToken>(hub, 'POST', '/operators/tokens', { name: 'viewer', scope: 'read' });
  // Something for the audit log besides the token issue: the admin pauses the group.
  await operatorRequest(hub, 'POST', `/groups/${group.id}/pause`);

  await page.goto(`${hub.url}/groups/${encodeURIComponent(group.id)}?token=${encodeURIComponent(read.token)}`);
  await expect(page.getByTestId('live-indicator')).toHaveText('live');
  await expect(page.getByTestId('signed-in-as')).toHaveText('viewer (read)');
  await expect(page.getByTestId('group-detail')).toBeVisible();
  await expect(page.getByTestId('group-controls-readonly')).toBeVisible();
  for (const name of ['Pause', 'Resume', 'End group', 'Post', 'Pick next speaker']) {
    await expect(page.getByRole('button', { name, exact: true })).toHaveCount(0);
  }

  await page.getByRole('tab', { name: 'Audit' }).click();
  await expect(page).toHaveURL(/\/audit$/);
  const rows = page.getByTestId('audit-row');
  await expect(rows.filter({ hasText: `POST /api/groups/${group.id}/pause` })).toContainText('admin');
  await expect(rows.filter({ hasText: 'token.issue' })).toContainText('viewer');
  await expect(rows.filter({ hasText: 'token.issue' })).toContainText('127.0.0.1');
  await page.screenshot({ path: testInfo.outputPath('dashboard-audit.png'), fullPage: true });

  // Its own URL: a reload lands on the audit view again.
  await page.reload();
  await expect(page.getByTestId('audit-view')).toBeVisible();
});

test('an operate token gets the group controls', async ({ page }) => {
  const group = await operatorRequest<Group>(hub, 'POST', '/groups', { members: ['a', 'b'] });
  const op = await operatorRequest<IssuedOperatorToken>(hub, 'POST', '/operators/tokens', { name: 'oncall', scope: 'operate' });
  await page.goto(`${hub.url}/groups/${encodeURIComponent(group.id)}?token=${encodeURIComponent(op.token)}`);
  await expect(page.getByTestId('signed-in-as')).toHaveText('oncall (operate)');
  await expect(page.getByTestId('group-controls')).toBeVisible();
  await expect(page.getByRole('button', { name: 'End group', exact: true })).toBeVisible();
});
