import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAgent, type AgentClient } from '@agent-hub/sdk';
import { HubError, type HubEvent, type IssuedAgentToken } from '@agent-hub/protocol';
import { deleteKeysWithPrefix } from '@agent-hub/store';
import { HubProcess } from './support/hub-process.ts';
import { eventually } from './support/test-hub.ts';
import { redisUrlOrSkip } from './support/redis-or-skip.ts';
import { AgentTokensV2 } from '../src/auth/agent-token-v2.ts';
import { singleKeyRing } from '../src/auth/agent-keys.ts';

const clients: AgentClient[] = [];
const hubs: HubProcess[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(hubs.map((h) => h.stop()));
});

async function startHub(env: Record<string, string> = {}, opts: { agentSecret?: string; token?: string } = {}): Promise<HubProcess> {
  const hub = await HubProcess.start({ env: { STORE: 'memory', ...env }, ...opts });
  hubs.push(hub);
  return hub;
}

async function issue(hub: HubProcess, body: Record<string, unknown>): Promise<IssuedAgentToken> {
  const res = await hub.api('/api/agents/tokens', { method: 'POST', body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (await res.json()) as IssuedAgentToken;
}

async function agent(
  hub: HubProcess | HubProcess[],
  agentId: string,
  token: string,
  extra: Partial<Parameters<typeof connectAgent>[0]> = {},
): Promise<AgentClient> {
  const urls = (Array.isArray(hub) ? hub : [hub]).map((h) => h.url);
  const c = await connectAgent({
    url: urls,
    agentId,
    token,
    reconnectDelayMs: 100,
    reconnectDelayMaxMs: 300,
    connectTimeoutMs: 5000,
    ...extra,
  });
  clients.push(c);
  return c;
}

async function refusal(p: Promise<unknown>): Promise<HubError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HubError);
  return err as HubError;
}

async function metric(hub: HubProcess, name: string): Promise<number> {
  const text = await (await hub.api('/metrics')).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

describe('agent credentials on one hub', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    hub = await startHub({ AGENT_TOKEN_GRACE_MS: '300', LIVENESS_INTERVAL_MS: '60000' });
  });
  /** An ah2 token signed where the secret is known (the hub's default key), with any expiry. */
  const signed = (agentId: string, expiresInMs: number) =>
    new AgentTokensV2(singleKeyRing(hub.agentSecret)).issue(agentId, Date.now() + expiresInMs - 60_000, 60_000).token;

  it('refuses an agent publishing on a $hub: topic, or forging a legacy health event, with FORBIDDEN', async () => {
    const a = await agent(hub, 'forger', (await issue(hub, { agentId: 'forger' })).token);
    const hubTopic = await refusal(a.publish('$hub:agent:victim', { type: 'health', to: 'failed' }));
    expect(hubTopic.code).toBe('FORBIDDEN');
    expect(hubTopic.message).toContain('$hub:');
    const legacy = await refusal(a.publish('agent:victim', { type: 'health', agentId: 'victim', from: 'healthy', to: 'failed' }));
    expect(legacy.code).toBe('FORBIDDEN');
    // Other payloads on agent topics stay the agent's own business.
    await expect(a.publish('agent:victim', { type: 'hello' })).resolves.toMatchObject({ durable: true });
    const http = await hub.api('/api/events', { method: 'POST', body: JSON.stringify({ topic: '$hub:agent:victim', payload: {} }) });
    expect(http.status).toBe(403);
    expect(((await http.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
  });

  it('publishes health transitions on $hub:agent:<id> for subscribers, and on agent:<id> during the transition period', async () => {
    const watcher = await agent(hub, 'watcher', (await issue(hub, { agentId: 'watcher' })).token);
    const onHub: HubEvent[] = [];
    const onLegacy: HubEvent[] = [];
    await watcher.subscribe(['$hub:agent:*'], (e) => void onHub.push(e));
    await watcher.subscribe(['agent:watched'], (e) => void onLegacy.push(e));
    const watched = await agent(hub, 'watched', (await issue(hub, { agentId: 'watched' })).token);
    await watched.close();
    await eventually(
      () => onHub.some((e) => e.topic === '$hub:agent:watched' && (e.payload as { to?: string }).to === 'disconnected'),
      5000,
      'the $hub: health event',
    );
    await eventually(() => onLegacy.some((e) => (e.payload as { to?: string }).to === 'disconnected'), 5000, 'the legacy health event');
    expect(onHub.every((e) => e.publisher === 'hub')).toBe(true);
  });

  it('refuses a publish or subscribe outside the token’s patterns with FORBIDDEN, naming the patterns', async () => {
    const t = await issue(hub, { agentId: 'scoped', permissions: { publish: ['orders:*'], subscribe: ['orders:#', '$hub:agent:*'] } });
    const a = await agent(hub, 'scoped', t.token);
    await expect(a.publish('orders:created', 1)).resolves.toMatchObject({ durable: true });
    const pub = await refusal(a.publish('billing:paid', 1));
    expect(pub.code).toBe('FORBIDDEN');
    expect(pub.message).toContain('"orders:*"');
    expect(pub.details).toMatchObject({ topic: 'billing:paid', allowed: ['orders:*'] });
    await a.subscribe(['orders:eu:#'], () => undefined);
    const sub = await refusal(a.subscribe(['#'], () => undefined));
    expect(sub.code).toBe('FORBIDDEN');
    expect(sub.details).toMatchObject({ pattern: '#', allowed: ['orders:#', '$hub:agent:*'] });
  });

  it('refuses an expired token at connect', async () => {
    const err = await refusal(connectAgent({ url: hub.url, agentId: 'late', token: signed('late', -1000), connectTimeoutMs: 3000 }));
    expect(err.code).toBe('AGENT_UNAUTHORIZED');
    expect(err.message).toContain('expired');
  });

  it('closes a live connection whose token expired once the grace period is over, for good', async () => {
    const expiresAt = Date.now() + 1200;
    const a = await agent(hub, 'expiring', signed('expiring', 1200));
    const closed = await a.closed();
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt + 300);
    expect(closed.error?.code).toBe('AGENT_UNAUTHORIZED');
  });

  it('keeps the same connection and its subscriptions when the SDK refreshes the token before expiry', async () => {
    let refreshes = 0;
    const a = await agent(hub, 'refresher', signed('refresher', 1500), {
      refreshToken: async () => (refreshes++, signed('refresher', 1500)),
    });
    const got: HubEvent[] = [];
    await a.subscribe(['refresh:#'], (e) => void got.push(e));
    const socketId = a.socket.id;
    // Three token lifetimes: without the refresh the hub would have closed it after the first.
    await new Promise((r) => setTimeout(r, 4500));
    expect(refreshes).toBeGreaterThanOrEqual(3);
    expect(a.socket.id).toBe(socketId);
    const pub = await agent(hub, 'refresh-pub', (await issue(hub, { agentId: 'refresh-pub' })).token);
    await pub.publish('refresh:x', 'still here');
    await eventually(() => got.some((e) => e.payload === 'still here'), 5000, 'delivery after the refreshes');
  });

  it('refuses a refresh with a token of another agent and keeps the current one', async () => {
    const a = await agent(hub, 'no-swap', (await issue(hub, { agentId: 'no-swap' })).token);
    const ack = (await a.socket.timeout(5000).emitWithAck('auth:refresh', { token: (await issue(hub, { agentId: 'other' })).token })) as {
      ok: boolean;
      error?: { code: string };
    };
    expect(ack).toMatchObject({ ok: false, error: { code: 'AGENT_UNAUTHORIZED' } });
    await expect(a.publish('still:ok', 1)).resolves.toMatchObject({ durable: true });
  });

  it('revokes one token by id: its live connection ends for good and it is refused at connect', async () => {
    const t = await issue(hub, { agentId: 'revoked-one' });
    const a = await agent(hub, 'revoked-one', t.token);
    const res = await hub.api('/api/agents/tokens/revoke', { method: 'POST', body: JSON.stringify({ tokenId: t.tokenId }) });
    expect(res.status).toBe(200);
    expect((await a.closed()).error?.code).toBe('AGENT_UNAUTHORIZED');
    expect((await refusal(connectAgent({ url: hub.url, agentId: 'revoked-one', token: t.token, connectTimeoutMs: 3000 }))).code).toBe(
      'AGENT_UNAUTHORIZED',
    );
    // A new token of the same agent is not affected.
    await agent(hub, 'revoked-one', (await issue(hub, { agentId: 'revoked-one' })).token);
  });

  it('counts connections made with a legacy ah1 token', async () => {
    const before = await metric(hub, 'agenthub_legacy_agent_tokens_total');
    await agent(hub, 'old-timer', hub.tokens.issue('old-timer'));
    expect(await metric(hub, 'agenthub_legacy_agent_tokens_total')).toBe(before + 1);
  });
});

describe('agent token settings', () => {
  it('refuses ah1 tokens with LEGACY_AGENT_TOKENS=false', async () => {
    const hub = await startHub({ LEGACY_AGENT_TOKENS: 'false' });
    const err = await refusal(connectAgent({ url: hub.url, agentId: 'old', token: hub.tokens.issue('old'), connectTimeoutMs: 3000 }));
    expect(err.code).toBe('AGENT_UNAUTHORIZED');
  });

  it('accepts a token of the old key while both keys are configured, and refuses it once the old key is retired', async () => {
    const oldKey = randomBytes(18).toString('base64url');
    const newKey = randomBytes(18).toString('base64url');
    const before = await startHub({ AGENT_KEYS: `old=${oldKey}` });
    const overlap = await startHub({ AGENT_KEYS: `new=${newKey},old=${oldKey}` });
    const after = await startHub({ AGENT_KEYS: `new=${newKey}` });
    const oldToken = await issue(before, { agentId: 'rotating' });
    expect(oldToken.keyId).toBe('old');
    const newToken = await issue(overlap, { agentId: 'rotating' });
    expect(newToken.keyId).toBe('new');

    const during = await agent(overlap, 'rotating', oldToken.token);
    await during.close();
    const err = await refusal(connectAgent({ url: after.url, agentId: 'rotating', token: oldToken.token, connectTimeoutMs: 3000 }));
    expect(err.code).toBe('AGENT_UNAUTHORIZED');
    expect(err.message).toContain('"old"');
    await agent(after, 'rotating', newToken.token);
  });
});

const redisUrl = await redisUrlOrSkip('agent revocation across nodes (Redis)');
(redisUrl ? describe : describe.skip)('revocation across two nodes on one Redis', () => {
  const prefix = `cred${randomBytes(4).toString('hex')}:`;
  afterAll(async () => {
    if (redisUrl) await deleteKeysWithPrefix(redisUrl, prefix);
  });

  it('disconnects an agent on another node within 2 s of its revocation, and both nodes refuse it after', async () => {
    const shared = { STORE: 'redis', REDIS_URL: redisUrl!, REDIS_PREFIX: prefix, NODE_TTL_MS: '3000' };
    const agentSecret = randomBytes(18).toString('base64url');
    const token = randomBytes(18).toString('base64url');
    const a = await startHub({ ...shared, NODE_ID: 'cred-a' }, { agentSecret, token });
    const b = await startHub({ ...shared, NODE_ID: 'cred-b' }, { agentSecret, token });
    const t = await issue(a, { agentId: 'banned' });
    const client = await agent(b, 'banned', t.token);
    const closed = client.closed();
    const revokedAt = Date.now();
    const res = await a.api('/api/agents/tokens/revoke', { method: 'POST', body: JSON.stringify({ agentId: 'banned' }) });
    expect(res.status).toBe(200);
    const info = await closed;
    expect(Date.now() - revokedAt).toBeLessThan(2000);
    expect(info.error?.code).toBe('AGENT_UNAUTHORIZED');
    for (const hub of [a, b]) {
      expect((await refusal(connectAgent({ url: hub.url, agentId: 'banned', token: t.token, connectTimeoutMs: 3000 }))).code).toBe(
        'AGENT_UNAUTHORIZED',
      );
    }
    // Tokens issued after the revocation work again.
    await agent(b, 'banned', (await issue(b, { agentId: 'banned' })).token);
  });
});
