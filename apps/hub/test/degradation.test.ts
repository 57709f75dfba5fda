import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubProcess } from './support/hub-process.ts';
import { AgentProcess } from './support/agent-process.ts';
import { OperatorWatch } from './support/operator-watch.ts';

let hub: HubProcess;
let ops: OperatorWatch;
beforeAll(async () => {
  hub = await HubProcess.start({
    env: {
      DEGRADE_FAILURES: '2',
      DEGRADE_WINDOW_MS: '10000',
      DEGRADE_CHECK_INTERVAL_MS: '300',
      DEGRADE_RECOVER_AFTER_MS: '2500',
      DEGRADE_RECOVER_MAX_FAILURES: '2',
      SESSION_LIMIT: '100',
      DEGRADED_SESSION_LIMIT: '50',
      DEFAULT_RECOVERY: 'alert',
    },
  });
  ops = await OperatorWatch.connect(hub.url, hub.token);
});
afterAll(async () => {
  ops.close();
  await hub.stop();
});

describe('graceful degradation', () => {
  it('enters degraded mode after a burst of failures, refuses new sessions, and leaves on its own', async () => {
    const agents = await Promise.all(
      ['d1', 'd2', 'd3'].map((id) => AgentProcess.start({ url: hub.url, agentId: id, token: hub.tokens.issue(id) })),
    );
    for (const id of ['d1', 'd2', 'd3']) await ops.waitFor(id, 'healthy');
    agents.forEach((a) => a.signal('SIGKILL'));
    // How fast a death is found is health.test.ts's (≤ 5 s); here, that three make the hub degrade.
    // Detection plus the degrade check can pass 5 s on a loaded CI machine.
    const degraded = await ops.waitForStatus((s) => s.degraded, 10_000);
    expect(degraded.degradedReason).toMatch(/3 agent failures/);
    expect(degraded.sessionLimit).toBe(50);

    const refused = await hub.api('/api/sessions', { method: 'POST', body: '{}' });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('HUB_DEGRADED');
    // Degraded mode is reported, not a reason to take the node out of service.
    const ready = await fetch(`${hub.url}/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { warnings: string[] }).warnings[0]).toMatch(/degraded/);
    expect(((await (await fetch(`${hub.url}/health`)).json()) as { status: string }).status).toBe('degraded');

    const afterDegraded = ops.statuses.indexOf(degraded);
    const recovered = await ops.waitForStatus((s) => !s.degraded && ops.statuses.indexOf(s) > afterDegraded, 8000);
    expect(recovered.sessionLimit).toBe(100);
    expect((await hub.api('/api/sessions', { method: 'POST', body: '{}' })).status).toBe(201);
    expect(((await (await fetch(`${hub.url}/ready`)).json()) as { warnings?: string[] }).warnings).toBeUndefined();
  });
});
