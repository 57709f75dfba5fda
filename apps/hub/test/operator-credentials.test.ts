import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import type { AuditEntry, HubEvent, IssuedOperatorToken, OperatorTokenInfo } from '@agent-hub/protocol';
import { HubProcess, repoRoot } from './support/hub-process.ts';

/** A request as a given bearer (the hub's built-in admin token unless told). */
function as(hub: HubProcess, token: string, pathname: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  if (init.body) headers.set('content-type', 'application/json');
  return fetch(hub.url + pathname, { ...init, headers });
}

async function issue(hub: HubProcess, name: string, scope: string): Promise<IssuedOperatorToken> {
  const res = await hub.api('/api/operators/tokens', { method: 'POST', body: JSON.stringify({ name, scope }) });
  expect(res.status).toBe(201);
  return (await res.json()) as IssuedOperatorToken;
}

async function auditEntries(hub: HubProcess): Promise<AuditEntry[]> {
  const res = await hub.api(`/api/events?patterns=${encodeURIComponent('$hub:audit')}&limit=1000`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: HubEvent[] }).items.map((e) => e.payload as AuditEntry);
}

// Asynchronous on purpose: a spawnSync would block this process's event loop for the CLI's whole
// run, and the hub would close the idle keep-alive socket that fetch then reuses ("other side closed").
async function cli(hub: HubProcess, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/hub/src/cli/main.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, DATA_DIR: hub.dataDir, HUB_TOKEN: hub.token, PORT: String(hub.port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

describe('operator credentials (a real hub process)', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    // The file store: a real adapter with its key-value space on disk, and quick to start on a busy machine.
    hub = await HubProcess.start({ readyTimeoutMs: 90_000, env: { STORE: 'file' } });
  }, 100_000);
  afterAll(async () => {
    await hub?.stop();
  });

  it('keeps the first-start token as the built-in admin', async () => {
    const me = await (await hub.api('/api/me')).json();
    expect(me).toEqual({ name: 'admin', scope: 'admin', scopes: ['read', 'operate', 'admin'] });
    const list = (await (await hub.api('/api/operators/tokens')).json()) as { items: OperatorTokenInfo[] };
    expect(list.items[0]).toMatchObject({ name: 'admin', scope: 'admin', builtIn: true });
  });

  it('lets a read token view and scrape /metrics but not pause a group (FORBIDDEN naming the scope)', async () => {
    const read = await issue(hub, 'grafana', 'read');
    expect(read.token).toMatch(/^aho1\./);
    expect(await (await as(hub, read.token, '/api/me')).json()).toEqual({ name: 'grafana', scope: 'read', scopes: ['read'] });
    expect((await as(hub, read.token, '/api/status')).status).toBe(200);
    expect((await as(hub, read.token, '/api/groups')).status).toBe(200);
    const metrics = await as(hub, read.token, '/metrics');
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('agenthub_auth_failures_total');

    const group = (await (await hub.api('/api/groups', { method: 'POST', body: JSON.stringify({ members: ['a1', 'a2'] }) })).json()) as {
      id: string;
    };
    const pause = await as(hub, read.token, `/api/groups/${group.id}/pause`, { method: 'POST' });
    expect(pause.status).toBe(403);
    const body = (await pause.json()) as { error: { code: string; message: string; details: { required: string } } };
    expect(body.error.code).toBe('FORBIDDEN');
    expect(body.error.details.required).toBe('operate');
    expect(body.error.message).toContain('"operate"');
    const g = (await (await hub.api(`/api/groups/${group.id}`)).json()) as { status: string };
    expect(g.status).not.toBe('paused');
  });

  it('refuses what needs a wider scope: operate may pause but not manage tokens or delete', async () => {
    const op = await issue(hub, 'oncall', 'operate');
    const group = (await (await hub.api('/api/groups', { method: 'POST', body: JSON.stringify({ members: ['b1', 'b2'] }) })).json()) as {
      id: string;
    };
    expect((await as(hub, op.token, `/api/groups/${group.id}/pause`, { method: 'POST' })).status).toBe(200);
    const tokens = await as(hub, op.token, '/api/operators/tokens', {
      method: 'POST',
      body: JSON.stringify({ name: 'x', scope: 'admin' }),
    });
    expect(tokens.status).toBe(403);
    expect(((await tokens.json()) as { error: { details: { required: string } } }).error.details.required).toBe('admin');
    expect((await as(hub, op.token, '/api/operators/tokens')).status).toBe(403);
    expect((await as(hub, op.token, '/api/agents/tokens', { method: 'POST', body: JSON.stringify({ agentId: 'x' }) })).status).toBe(403);
    expect((await as(hub, op.token, `/api/sessions/${crypto.randomUUID()}`, { method: 'DELETE' })).status).toBe(403);
  });

  it('writes who, what, when and where to $hub:audit for a group pause and a token issue', async () => {
    const since = new Date().toISOString();
    const op = await issue(hub, 'auditor-test', 'operate');
    const group = (await (await hub.api('/api/groups', { method: 'POST', body: JSON.stringify({ members: ['c1', 'c2'] }) })).json()) as {
      id: string;
    };
    expect((await as(hub, op.token, `/api/groups/${group.id}/pause`, { method: 'POST' })).status).toBe(200);

    const entries = (await auditEntries(hub)).filter((e) => e.at >= since);
    const issued = entries.find((e) => e.action === 'token.issue' && e.details?.name === 'auditor-test');
    expect(issued).toMatchObject({
      type: 'audit',
      who: 'admin',
      scope: 'admin',
      outcome: 'ok',
      status: 201,
      source: '127.0.0.1',
      details: { scope: 'operate' },
    });
    expect(issued!.details).not.toHaveProperty('token');
    const paused = entries.find((e) => e.action === `POST /api/groups/${group.id}/pause`);
    expect(paused).toMatchObject({ who: 'auditor-test', scope: 'operate', outcome: 'ok', status: 200, source: '127.0.0.1' });
    expect(Date.parse(paused!.at)).toBeGreaterThanOrEqual(Date.parse(since));
    // The hub's own topic: not even an admin can write an entry into it.
    const forged = await hub.api('/api/events', { method: 'POST', body: JSON.stringify({ topic: '$hub:audit', payload: {} }) });
    expect(forged.status).toBe(403);
  });

  it('refuses a revoked credential at once, on HTTP and on its open dashboard socket', async () => {
    const t = await issue(hub, 'leaver', 'read');
    const socket = io(`${hub.url}/operators`, { auth: { token: t.token }, transports: ['websocket'], forceNew: true, reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const dropped = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const revoke = await hub.api(`/api/operators/tokens/${t.id}/revoke`, { method: 'POST' });
    expect(revoke.status).toBe(200);
    expect(((await revoke.json()) as OperatorTokenInfo).revokedAt).not.toBeNull();
    expect((await as(hub, t.token, '/api/status')).status).toBe(401);
    expect(await dropped).toBe('io server disconnect');
    const again = io(`${hub.url}/operators`, { auth: { token: t.token }, transports: ['websocket'], forceNew: true, reconnection: false });
    const err = await new Promise<{ data?: { code: string } }>((resolve) => again.once('connect_error', resolve));
    expect(err.data?.code).toBe('UNAUTHENTICATED');
    again.close();
    socket.close();
    const revoked = (await auditEntries(hub)).find((e) => e.action === 'token.revoke' && e.details?.id === t.id);
    expect(revoked).toMatchObject({ who: 'admin', outcome: 'ok', source: '127.0.0.1' });
  });

  it('answers a socket action outside the scope with FORBIDDEN', async () => {
    const t = await issue(hub, 'socket-reader', 'read');
    const socket = io(`${hub.url}/operators`, { auth: { token: t.token }, transports: ['websocket'], forceNew: true, reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const watch = (await socket.timeout(5000).emitWithAck('events:watch', { pattern: 'orders:#' })) as { ok: boolean };
    expect(watch.ok).toBe(true);
    const other = (await socket.timeout(5000).emitWithAck('groups:pause', { id: 'x' })) as {
      ok: boolean;
      error: { code: string; details: { required: string } };
    };
    expect(other).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { required: 'operate' } } });
    socket.close();
  });

  it('creates, lists and revokes credentials with pnpm hub tokens:*', async () => {
    const created = await cli(hub, ['tokens:create', '--name', 'ci-bot', '--scope', 'operate']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const token = created.stdout.trim().split('\n').at(-1)!;
    expect(token).toMatch(/^aho1\./);
    expect(await (await as(hub, token, '/api/me')).json()).toMatchObject({ name: 'ci-bot', scope: 'operate' });

    const listed = await cli(hub, ['tokens:list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/ci-bot\s+operate\s+.*active/);
    expect(listed.stdout).not.toContain(token);

    const revoked = await cli(hub, ['tokens:revoke', 'ci-bot']);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/^revoked credential "ci-bot"/);
    expect((await as(hub, token, '/api/me')).status).toBe(401);
    expect((await cli(hub, ['tokens:list'])).stdout).toMatch(/ci-bot\s+operate\s+.*revoked/);

    const bad = await cli(hub, ['tokens:create', '--name', 'x', '--scope', 'root']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^agent-hub: --scope: "root"; one of read, operate, admin/);
  }, 60_000);
});
