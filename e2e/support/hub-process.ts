import { HubProcess } from '../../apps/hub/test/support/hub-process.ts';

// The spawner itself lives beside the hub's own tests (apps/hub/test/support/hub-process.ts): one
// implementation, one freePort. This file keeps the e2e specs' `startHub()` entry point.
export { HubProcess, freePort } from '../../apps/hub/test/support/hub-process.ts';

// tsx compiles the hub on start; on a busy machine (other suites, browsers) that alone can take 20 s.
const READY_TIMEOUT_MS = 60_000;

export interface StartHubOptions {
  /** Extra environment for the hub, e.g. shorter heartbeat timeouts. */
  env?: Record<string, string>;
}

/**
 * A real hub (`node --import tsx apps/hub/src/main.ts`) on a free port with its own data dir, ready
 * (`GET /ready`) when this resolves. `stop()` sends SIGTERM, waits for the exit and removes the data dir.
 */
export function startHub(options: StartHubOptions = {}): Promise<HubProcess> {
  return HubProcess.start({ env: options.env, readyTimeoutMs: READY_TIMEOUT_MS, dataDirPrefix: 'agent-hub-e2e-' });
}
