import { test as base, expect, type Page } from '@playwright/test';
import type { HubProcess } from './hub-process.ts';

export { expect };

export interface SignedInFixtures {
  /**
   * The test's `page`, signed in: opens `path` (default `/`) on `hub` with the operator token in the
   * URL, as the hub's printed link does, and resolves with the page once the dashboard is live. The
   * test calls it when it is ready, so it can set the scene (agents, sessions, events) before the
   * page loads.
   */
  openSignedIn: (hub: HubProcess, path?: string) => Promise<Page>;
}

/**
 * Playwright's `test` with the signed-in page fixture; specs import `test` and `expect` from here.
 * (The fixture's `use` is called `provide`: the React hooks lint rule takes a `use` call for a hook.)
 */
export const test = base.extend<SignedInFixtures>({
  openSignedIn: async ({ page }, provide) => {
    await provide(async (hub, path = '/') => {
      await page.goto(`${hub.url}${path}?token=${encodeURIComponent(hub.operatorToken)}`);
      await expect(page.getByTestId('live-indicator')).toHaveText('live');
      return page;
    });
  },
});
