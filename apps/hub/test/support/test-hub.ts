import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { connectAgent, type AgentClient, type ConnectOptions } from '@agent-hub/sdk';
import { silentLogger } from '@agent-hub/core';
import { loadConfig } from '../../src/config.ts';
import { startHub, type Hub } from '../../src/hub.ts';

export interface TestHub {
  hub: Hub;
  url: string;
  token: string;
  dataDir: string;
  /** fetch against the hub with the operator token (unless `auth: false`). */
  api(pathname: string, init?: RequestInit & { auth?: boolean }): Promise<Response>;
  agentToken(agentId: string): string;
  agent(agentId: string, opts?: Partial<ConnectOptions>): Promise<AgentClient>;
  close(): Promise<void>;
}

/** An in-process hub on a free loopback port with its own temporary data directory. */
export async function startTestHub(env: Record<string, string> = {}): Promise<TestHub> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'agent-hub-test-'));
  const token = randomBytes(18).toString('base64url');
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    STORE: 'memory',
    HUB_TOKEN: token,
    AGENT_SECRET: randomBytes(18).toString('base64url'),
    LOG_LEVEL: 'silent',
    ...env,
  });
  const hub = await startHub(config, { logger: silentLogger });
  const clients: AgentClient[] = [];
  return {
    hub,
    url: hub.url,
    token,
    dataDir,
    api(pathname, init = {}) {
      const headers = new Headers(init.headers);
      if (init.auth !== false) headers.set('authorization', `Bearer ${token}`);
      if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
      return fetch(hub.url + pathname, { ...init, headers });
    },
    agentToken: (id) => hub.ctx.agentTokens.issue(id),
    async agent(agentId, opts = {}) {
      const c = await connectAgent({ url: hub.url, agentId, token: hub.ctx.agentTokens.issue(agentId), ...opts });
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await hub.close('test');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolves when `predicate` holds, polling briefly; for state that arrives over sockets. */
export async function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs = 5000, label = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`);
}

/** The JSON body of a response, untyped (tests assert on its shape). */
export async function json(res: Response): Promise<any> {
  return res.json();
}
