import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import { HubProcess } from './support/hub-process.ts';

const ATTACKER = '203.0.113.5';
const NEIGHBOUR = '203.0.113.9';
const MAX = 5;

function from(hub: HubProcess, address: string, token: string, pathname = '/api/status'): Promise<Response> {
  return fetch(hub.url + pathname, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': `10.9.9.9, ${address}` } });
}

/** Resolves with the handshake's outcome: `connected`, or the refusal's code. */
function handshake(url: string, auth: Record<string, unknown>, address: string): Promise<string> {
  const socket = io(url, {
    auth,
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    extraHeaders: { 'x-forwarded-for': address },
  });
  return new Promise<string>((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (err: Error & { data?: { code: string } }) => resolve(err.data?.code ?? err.message));
  }).finally(() => socket.close());
}

async function counter(hub: HubProcess, name: string, labels: string): Promise<number> {
  const text = await (await hub.api('/metrics')).text();
  const m = new RegExp(`^${name}\\{${labels}\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('failed sign-ins are limited per source address (a real hub process behind a trusted proxy)', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    // The test client is the "load balancer" (127.0.0.1) and says who it forwards for.
    hub = await HubProcess.start({
      readyTimeoutMs: 90_000,
      env: { STORE: 'memory', TRUSTED_PROXIES: '127.0.0.1,::1', AUTH_FAILURES_MAX: String(MAX), AUTH_FAILURE_WINDOW_MS: '600000' },
    });
  }, 100_000);
  afterAll(async () => {
    await hub?.stop();
  });

  it('slows a brute-force loop to MAX guesses per window, and leaves another address alone', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await from(hub, ATTACKER, `guess-${i}-${'x'.repeat(20)}`)).status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(MAX);
    expect(statuses.slice(MAX).every((s) => s === 429)).toBe(true);

    // Locked out: even the right token is not checked, so a lucky guess is not confirmed.
    const right = await from(hub, ATTACKER, hub.token);
    expect(right.status).toBe(429);
    const body = (await right.json()) as { error: { code: string; details: { retryAfterMs: number } } };
    expect(body.error.code).toBe('RATE_LIMITED');
    expect(body.error.details.retryAfterMs).toBeGreaterThan(0);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);

    // The legitimate client behind the same load balancer, from another address, is unaffected.
    expect((await from(hub, NEIGHBOUR, hub.token)).status).toBe(200);
    expect((await from(hub, NEIGHBOUR, 'one-typo-xxxxxxxxxxxxxxxx')).status).toBe(401);
    expect((await from(hub, NEIGHBOUR, hub.token, '/metrics')).status).toBe(200);

    expect(await counter(hub, 'agenthub_auth_failures_total', 'transport="http",client="operator"')).toBe(MAX + 1);
    expect(await counter(hub, 'agenthub_auth_rate_limited_total', 'transport="http",client="operator"')).toBe(20 - MAX + 1);
  });

  it('limits operator and agent socket handshakes from the same address too', async () => {
    // The address locked out over HTTP is locked out of the dashboard socket as well.
    expect(await handshake(`${hub.url}/operators`, { token: hub.token }, ATTACKER)).toBe('RATE_LIMITED');
    expect(await handshake(`${hub.url}/operators`, { token: hub.token }, NEIGHBOUR)).toBe('connected');

    const intruder = '198.51.100.77';
    const outcomes: string[] = [];
    for (let i = 0; i < MAX + 3; i++)
      outcomes.push(await handshake(`${hub.url}/agents`, { agentId: 'victim', token: `ah1.victim.guess${i}` }, intruder));
    expect(outcomes.slice(0, MAX).every((o) => o === 'AGENT_UNAUTHORIZED')).toBe(true);
    expect(outcomes.slice(MAX)).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);

    const issued = (await (
      await hub.api('/api/agents/tokens', { method: 'POST', body: JSON.stringify({ agentId: 'victim' }) })
    ).json()) as { token: string };
    expect(await handshake(`${hub.url}/agents`, { agentId: 'victim', token: issued.token }, intruder)).toBe('RATE_LIMITED');
    expect(await handshake(`${hub.url}/agents`, { agentId: 'victim', token: issued.token }, '198.51.100.78')).toBe('connected');

    expect(await counter(hub, 'agenthub_auth_failures_total', 'transport="socket",client="agent"')).toBe(MAX);
    expect(await counter(hub, 'agenthub_auth_rate_limited_total', 'transport="socket",client="agent"')).toBe(4);
    expect(await counter(hub, 'agenthub_auth_rate_limited_total', 'transport="socket",client="operator"')).toBe(1);
  });
});
