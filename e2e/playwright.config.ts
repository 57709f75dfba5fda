import { defineConfig } from '@playwright/test';

export default defineConfig({
  // Paths resolve against this file's folder, so '.' is the repository's e2e/ directory.
  testDir: '.',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results',
  globalSetup: './global-setup.ts',
  // Each spec starts its own hub; one worker keeps ports, CPU and logs predictable.
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // PLAYWRIGHT_REPORTER=list,json etc.; the CLI's --reporter still wins.
  reporter: (process.env.PLAYWRIGHT_REPORTER ?? 'list').split(',').map((name) => [name.trim()] as [string]),
  use: {
    headless: true,
    trace: 'retain-on-failure',
    // Every test leaves a screenshot in test-results/ for people to look at; the assertions are the check.
    screenshot: 'on',
    launchOptions: {
      // Debian's chromium: Playwright's own browser downloads are not available here.
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
