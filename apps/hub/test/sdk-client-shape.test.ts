/**
 * The SDK's client shape, as socket.io-client, nats.js and centrifuge-js users know it, against
 * real hub processes: connection states with events, `closed()`, AbortSignal on calls,
 * subscriptions as async iterables, and failover to another hub URL by the same client object.
 */
import { AgentClient, connectAgent, HubError, type ClientState, type ConnectOptions, type StateChange } from '@agent-hub/sdk';
import type { HubEvent } from '@agent-hub/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { HubProcess } from './support/hub-process.ts';

const hubs: HubProcess[] = [];
const clients: AgentClient[] = [];

afterEach(async () => {
  for (const h of hubs) if (h.child?.signalCode === null) h.child.kill('SIGCONT');
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(hubs.splice(0).map((h) => h.stop()));
});

async function hub(opts: { agentSecret?: string } = {}): Promise<HubProcess> {
  const h = await HubProcess.start({ env: { STORE: 'memory' }, ...opts });
  hubs.push(h);
  return h;
}

async function agent(h: HubProcess, agentId: string, extra: Partial<ConnectOptions> = {}): Promise<AgentClient> {
  const c = await connectAgent({
    url: h.url,
    agentId,
    token: h.tokens.issue(agentId),
    reconnectDelayMs: 100,
    reconnectDelayMaxMs: 300,
    ...extra,
  });
  clients.push(c);
  return c;
}

async function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs: number, label: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`);
}

function recordStates(c: AgentClient): StateChange[] {
  const seen: StateChange[] = [];
  c.on('state', (s: StateChange) => seen.push(s));
  return seen;
}

async function subscriptionsOf(
  h: HubProcess,
  agentId: string,
): Promise<{ connected: boolean; subscriptions: Array<{ pattern: string }>; ackedOffset: number | null }> {
  return (await h.api(`/api/agents/${agentId}/subscriptions`)).json() as never;
}

describe('SDK connection states', () => {
  it('goes connected → disconnected → connecting → connected across a hub restart, on the same client', { timeout: 90_000 }, async () => {
    const h = await hub();
    const c = await agent(h, 'states-1');
    expect(c.state).toBe('connected');
    const seen = recordStates(c);
    const connectedAgain = new Promise<StateChange>((r) => c.once('connected', r));

    await h.kill('SIGTERM');
    await eventually(() => c.state === 'disconnected' || c.state === 'connecting', 15_000, 'the drop');
    expect(c.connected).toBe(false);
    await h.spawn();
    await connectedAgain;

    expect(seen.map((s) => s.state)).toEqual(['disconnected', 'connecting', 'connected']);
    // Each change names the state it left.
    expect(seen.map((s) => s.previous)).toEqual(['connected', 'disconnected', 'connecting']);
    expect(c.state).toBe('connected');
    // Registered again: calls go through without waiting.
    await expect(c.publish('states:after', 1)).resolves.toMatchObject({ durable: true });
  });

  it('resolves closed() with reason "client" on close(), after a final "closed" state', { timeout: 60_000 }, async () => {
    const h = await hub();
    const c = await agent(h, 'close-1');
    const seen = recordStates(c);
    const closed = c.closed();
    await c.close();
    await expect(closed).resolves.toEqual({ reason: 'client' });
    expect(c.state).toBe('closed');
    expect(seen.map((s) => s.state)).toEqual(['closed']);
    // Closing again changes nothing.
    await c.close();
    await expect(c.closed()).resolves.toEqual({ reason: 'client' });
  });

  it('resolves closed() with reason "replaced" when a newer connection of the same agent takes over', { timeout: 60_000 }, async () => {
    const h = await hub();
    const first = await agent(h, 'twice');
    const seen = recordStates(first);
    await agent(h, 'twice');
    const info = await first.closed();
    expect(info.reason).toBe('replaced');
    expect(HubError.is(info.error, 'AGENT_UNAUTHORIZED')).toBe(true);
    expect(first.state).toBe('closed');
    expect(seen.at(-1)).toMatchObject({ state: 'closed', previous: 'connected' });
  });

  it('resolves closed() with reason "refused" when the restarted hub no longer takes its token', { timeout: 90_000 }, async () => {
    const h = await hub();
    const c = await agent(h, 'revoked');
    const seen = recordStates(c);
    await h.kill('SIGTERM');
    // The same hub comes back with another agent secret: the token is refused for good.
    h.env.AGENT_SECRET = 'another-secret-0123456789abcdef';
    await h.spawn();
    const info = await Promise.race([
      c.closed(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('not closed within 20 s')), 20_000)),
    ]);
    expect(info.reason).toBe('refused');
    expect(['AGENT_UNAUTHORIZED', 'UNAUTHENTICATED']).toContain(info.error?.code);
    expect(seen.map((s) => s.state).at(-1)).toBe('closed');
    expect(seen.map((s) => s.state)).toContain('disconnected');
  });
});

describe('SDK first connect refused', () => {
  it('rejects start() at once for a token of another agent, and closed() says "refused"', { timeout: 60_000 }, async () => {
    const h = await hub();
    const c = new AgentClient({ url: h.url, agentId: 'mallory', token: h.tokens.issue('alice') });
    clients.push(c);
    const seen = recordStates(c);
    const t0 = Date.now();
    const err = await c.start().catch((e: unknown) => e);
    expect(HubError.is(err, 'AGENT_UNAUTHORIZED')).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
    await c.close();
    await expect(c.closed()).resolves.toMatchObject({ reason: 'refused', error: { code: 'AGENT_UNAUTHORIZED' } });
    expect(seen.map((s) => s.state)).toEqual(['closed']);
  });
});

describe('SDK AbortSignal on calls', () => {
  it('rejects a session call to a frozen hub with ABORTED as soon as it is aborted', { timeout: 60_000 }, async () => {
    const h = await hub();
    const c = await agent(h, 'abort-1', { requestTimeoutMs: 10_000 });
    const s = await c.sessions.create({ metadata: { t: 'abort' } });
    h.child!.kill('SIGSTOP'); // the hub cannot answer any more
    const ac = new AbortController();
    const t0 = Date.now();
    const pending = c.sessions.get(s.id, true, { signal: ac.signal });
    let settled = false;
    void pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false); // no answer: without the abort it would wait the full 10 s
    ac.abort();
    const err = await pending.catch((e: unknown) => e);
    expect(HubError.is(err, 'ABORTED')).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2000);
    // An already aborted signal rejects before anything is sent.
    await expect(c.sessions.list({}, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
    h.child!.kill('SIGCONT');
  });

  it('frees the publish window slot of an aborted publish, sent or still waiting for a slot', { timeout: 60_000 }, async () => {
    const h = await hub();
    const c = await agent(h, 'abort-pub', { maxInFlight: 1 });
    h.child!.kill('SIGSTOP');
    const sentAbort = new AbortController();
    const sent = c.publish('abort:sent', 1, { signal: sentAbort.signal });
    const waitAbort = new AbortController();
    const waiting = c.publish('abort:waiting', 2, { signal: waitAbort.signal });
    await new Promise((r) => setTimeout(r, 200));
    expect(c.pendingPublishes).toBe(1); // the window holds one, the other waits for a slot

    waitAbort.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    expect(c.pendingPublishes).toBe(1);
    sentAbort.abort();
    await expect(sent).rejects.toMatchObject({ code: 'ABORTED' });
    expect(c.pendingPublishes).toBe(0);

    // The slot is free again: a new publish goes out once the hub answers.
    h.child!.kill('SIGCONT');
    await expect(c.publish('abort:next', 3)).resolves.toMatchObject({ durable: true });
  });
});

describe('SDK subscription handles', () => {
  it('iterates events with for await, and leaving the loop unsubscribes at the hub', { timeout: 60_000 }, async () => {
    const h = await hub();
    const sub = await agent(h, 'iter-sub');
    const pub = await agent(h, 'iter-pub');
    const handle = await sub.subscription(['iter:#']);
    expect(handle.result).toMatchObject({ patterns: ['iter:#'] });
    await sub.subscribe(['other:#'], () => undefined);
    expect((await subscriptionsOf(h, 'iter-sub')).subscriptions.map((s) => s.pattern).sort()).toEqual(['iter:#', 'other:#']);

    for (let i = 1; i <= 3; i++) await pub.publish('iter:x', i);
    const got: unknown[] = [];
    for await (const e of handle) {
      got.push(e.payload);
      if (got.length === 3) break;
    }
    expect(got).toEqual([1, 2, 3]);
    expect(handle.closed).toBe(true);

    // The hub no longer holds the pattern, and no longer delivers it.
    await eventually(
      async () => !(await subscriptionsOf(h, 'iter-sub')).subscriptions.some((s) => s.pattern === 'iter:#'),
      5000,
      'iter:# unsubscribed',
    );
    const wire: string[] = [];
    sub.socket.on('event', (e: HubEvent) => wire.push(e.topic));
    await pub.publish('iter:late', 4);
    await pub.publish('other:marker', 5);
    // One node delivers in order: once the marker is here, a delivered iter:late would be too.
    await eventually(() => wire.includes('other:marker'), 5000, 'the marker');
    expect(wire).toEqual(['other:marker']);
  });

  it('acks only what the loop has taken; a full buffer holds delivery back', { timeout: 60_000 }, async () => {
    const h = await hub();
    const sub = await agent(h, 'iter-ack');
    const pub = await agent(h, 'iter-ack-pub');
    const handle = await sub.subscription(['slow:#'], { bufferSize: 2 });
    const offsets: number[] = [];
    for (let i = 1; i <= 4; i++) offsets.push((await pub.publish('slow:x', i)).offset);
    await eventually(() => handle.buffered === 2, 5000, 'a full buffer');
    await new Promise((r) => setTimeout(r, 300)); // time for any (wrong) ack to reach the hub
    expect(handle.buffered).toBe(2); // the third waits for the loop
    expect((await subscriptionsOf(h, 'iter-ack')).ackedOffset ?? 0).toBeLessThan(offsets[0]!);

    const it = handle[Symbol.asyncIterator]();
    expect((await it.next()).value?.payload).toBe(1);
    // Taken, but the loop body has not finished it: still not acked.
    await new Promise((r) => setTimeout(r, 200));
    expect((await subscriptionsOf(h, 'iter-ack')).ackedOffset ?? 0).toBeLessThan(offsets[0]!);
    expect((await it.next()).value?.payload).toBe(2);
    await eventually(async () => (await subscriptionsOf(h, 'iter-ack')).ackedOffset === offsets[0], 5000, 'the first event acked');
    expect((await it.next()).value?.payload).toBe(3);
    expect((await it.next()).value?.payload).toBe(4);
    await it.return!();
    expect(handle.closed).toBe(true);
  });
});

describe('SDK failover between hub URLs', () => {
  it('moves the same client to the second hub when the first stops, and keeps receiving', { timeout: 120_000 }, async () => {
    const secret = 'failover-secret-0123456789abcdef';
    const first = await hub({ agentSecret: secret });
    const second = await hub({ agentSecret: secret });
    const c = await connectAgent({
      url: [first.url, second.url],
      agentId: 'mover',
      token: first.tokens.issue('mover'),
      reconnectDelayMs: 100,
      reconnectDelayMaxMs: 300,
    });
    clients.push(c);
    const states = recordStates(c);
    const got: unknown[] = [];
    await c.subscribe(['fo:#'], (e) => void got.push(e.payload));
    const onFirst = await agent(first, 'pub-first');
    await onFirst.publish('fo:x', 'before');
    await eventually(() => got.includes('before'), 5000, 'delivery from the first hub');
    const socketBefore = c.socket;

    await first.stop();
    await eventually(
      async () => {
        const res = await second.api('/api/agents/mover');
        return c.state === 'connected' && res.ok && ((await res.json()) as { connected: boolean }).connected;
      },
      30_000,
      'the client registered on the second hub',
    );
    expect(c.socket).not.toBe(socketBefore);
    expect(states.map((s) => s.state)).toContain('disconnected');
    expect(states.at(-1)?.state).toBe('connected');
    // Re-subscribed there: the second hub knows its pattern and delivers to it.
    await eventually(
      async () => (await subscriptionsOf(second, 'mover')).subscriptions.some((s) => s.pattern === 'fo:#'),
      5000,
      'fo:# on the second hub',
    );
    const onSecond = await agent(second, 'pub-second');
    await onSecond.publish('fo:x', 'after');
    await eventually(() => got.includes('after'), 5000, 'delivery from the second hub');
    await expect(c.publish('fo:self', 'mine')).resolves.toMatchObject({ durable: true });
    await eventually(() => got.includes('mine'), 5000, 'its own publish delivered back');
    expect(got).toEqual(['before', 'after', 'mine']);
    const state: ClientState = c.state;
    expect(state).toBe('connected');
  });
});
