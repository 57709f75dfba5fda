import { AgentProcess } from '../apps/hub/test/support/agent-process.ts';
import { issueAgentToken } from './support/hub-api.ts';
import { startHub, type HubProcess } from './support/hub-process.ts';
import { expect, test } from './support/fixtures.ts';

// Short knobs so a frozen agent is dropped in about a second and degraded mode lifts after 4 s.
// DEGRADE_FAILURES=2: a third failure within the window enters degraded mode.
const HUB_ENV = {
  HEARTBEAT_INTERVAL_MS: '500',
  HEARTBEAT_TIMEOUT_MS: '500',
  DEGRADE_FAILURES: '2',
  DEGRADE_WINDOW_MS: '20000',
  DEGRADE_CHECK_INTERVAL_MS: '500',
  DEGRADE_RECOVER_AFTER_MS: '4000',
  DEFAULT_RECOVERY: 'alert',
};
const AGENT_IDS = ['frozen', 'crashed-1', 'crashed-2'] as const;

let hub: HubProcess;
const agents = new Map<string, AgentProcess>();

test.beforeAll(async () => {
  hub = await startHub({ env: HUB_ENV });
});

test.afterEach(async () => {
  const running = [...agents.values()];
  agents.clear();
  await Promise.all(running.map((a) => a.stop()));
});

test.afterAll(async () => {
  await hub?.stop();
});

async function startAgent(agentId: string): Promise<AgentProcess> {
  const token = await issueAgentToken(hub, agentId);
  const agent = await AgentProcess.start({ url: hub.url, agentId, token });
  agents.set(agentId, agent);
  return agent;
}

test('marks a frozen agent disconnected, enters degraded mode after more failures and leaves it on its own', async ({
  page,
  openSignedIn,
}, testInfo) => {
  // Three child processes, a hub and a browser on a small machine: give the whole story room.
  test.setTimeout(120_000);
  const shot = (name: string) => page.screenshot({ path: testInfo.outputPath(name), fullPage: true });

  // One at a time: three tsx start-ups at once can take longer than the fixture's ready timeout.
  for (const id of AGENT_IDS) await startAgent(id);
  await openSignedIn(hub);
  for (const id of AGENT_IDS) {
    await expect(page.getByTestId(`agent-health-${id}`)).toHaveText('healthy', { timeout: 20_000 });
  }
  await expect(page.getByTestId('degraded-banner')).toBeHidden();
  await shot('degradation-1-healthy.png');

  // A frozen process answers no heartbeat: dropped within interval + timeout (1 s here).
  agents.get('frozen')!.signal('SIGSTOP');
  await expect(page.getByTestId('agent-health-frozen')).toHaveText('disconnected', { timeout: 10_000 });
  await expect(page.getByTestId('agent-health-crashed-1')).toHaveText('healthy');
  await shot('degradation-2-frozen-disconnected.png');

  // Two crashes make three failures within the window: more than DEGRADE_FAILURES.
  agents.get('crashed-1')!.signal('SIGKILL');
  agents.get('crashed-2')!.signal('SIGKILL');
  const banner = page.getByTestId('degraded-banner');
  await expect(banner).toBeVisible({ timeout: 15_000 });
  // Three here; a heartbeat missed under heavy load would add one, and is still a failure.
  await expect(banner).toContainText(/Degraded mode: \d+ agent failures within 20 s/);
  await expect(page.getByTestId('agent-health-crashed-1')).toHaveText('disconnected');
  await expect(page.getByTestId('agent-health-crashed-2')).toHaveText('disconnected');
  await shot('degradation-3-degraded.png');

  // No further failures: the periodic check lifts degraded mode DEGRADE_RECOVER_AFTER_MS later.
  await expect(banner).toBeHidden({ timeout: 30_000 });
  await expect(page.getByTestId('agent-health-frozen')).toHaveText('disconnected');
  await shot('degradation-4-recovered.png');
});
