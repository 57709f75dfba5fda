import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import type { DeadLetter, HubEvent } from '@agent-hub/protocol';
import { eventually, json, startTestHub, type TestHub } from './support/test-hub.ts';

let t: TestHub;
let operators: Socket;
const updates: DeadLetter[] = [];

beforeAll(async () => {
  t = await startTestHub();
  operators = io(`${t.url}/operators`, { auth: { token: t.token }, transports: ['websocket'], forceNew: true });
  operators.on('deadletter:update', (d: DeadLetter) => updates.push(d));
  await new Promise<void>((resolve, reject) => {
    operators.once('connect', () => resolve());
    operators.once('connect_error', reject);
  });
});
afterAll(async () => {
  operators.disconnect();
  await t.close();
});

const post = (path: string, body?: unknown) => t.api(path, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });
const retry = (id: string, body?: unknown) => post(`/api/deadletters/${id}/retry`, body);
const discard = (id: string, body?: unknown) => post(`/api/deadletters/${id}/discard`, body);

async function letters(query = ''): Promise<DeadLetter[]> {
  return (await json(await t.api(`/api/deadletters${query}`))).items;
}

async function deadLetterOf(eventId: string): Promise<DeadLetter> {
  let found: DeadLetter | undefined;
  await eventually(
    async () => Boolean((found = (await letters()).find((d) => d.eventId === eventId && d.status === 'open'))),
    5000,
    `dead letter of ${eventId}`,
  );
  return found!;
}

/** A subscriber whose handler throws while `failing` is set, recording every call. */
async function flakySubscriber(agentId: string, topic: string) {
  const sub = await t.agent(agentId, { handlerAttempts: 3, handlerBackoffMs: 5 });
  sub.on('error', () => undefined);
  const state = { failing: true, calls: [] as HubEvent[], succeeded: [] as HubEvent[] };
  await sub.subscribe([topic], (e) => {
    state.calls.push(e);
    if (state.failing) throw new Error('downstream unavailable');
    state.succeeded.push(e);
  });
  return { sub, state };
}

async function expectError(res: Response, status: number, code: string): Promise<void> {
  const body = await json(res);
  expect([res.status, body.error?.code], JSON.stringify(body)).toEqual([status, code]);
}

describe('retrying a dead letter', () => {
  it('delivers the event again to the same subscriber, past its dedupe, and marks the letter retried', async () => {
    const pub = await t.agent('dlr-pub-1');
    const { sub, state } = await flakySubscriber('dlr-sub-1', 'dlr:one');
    const published = await pub.publish('dlr:one', { order: 7 });
    const letter = await deadLetterOf(published.id);
    expect(state.calls).toHaveLength(3);
    expect(letter).toMatchObject({ agentId: 'dlr-sub-1', status: 'open', resolvedBy: null, resolvedAt: null });

    // Why a plain republish cannot do it: the hub answers the known id as a duplicate, the SDK has it as processed.
    expect(sub.processed.has(published.id)).toBe(true);
    expect(await pub.publish('dlr:one', { order: 7 }, { id: published.id })).toMatchObject({ duplicate: true });
    await sub.idle();
    expect(state.calls).toHaveLength(3);

    state.failing = false;
    const res = await retry(letter.id, { by: 'ops-ann' });
    expect(res.status).toBe(200);
    const retried: DeadLetter = await json(res);
    expect(retried).toMatchObject({ id: letter.id, status: 'retried', resolvedBy: 'ops-ann' });
    expect(Date.parse(retried.resolvedAt!)).toBeGreaterThanOrEqual(Date.parse(letter.at));

    await eventually(() => state.succeeded.length === 1, 5000, 'the redelivered event handled');
    expect(state.calls).toHaveLength(4);
    expect(state.succeeded[0]).toMatchObject({ id: published.id, offset: published.offset, topic: 'dlr:one', payload: { order: 7 } });
    expect((await letters()).find((d) => d.id === letter.id)).toEqual(retried);
    expect((await letters('?status=retried')).map((d) => d.id)).toContain(letter.id);
    expect((await letters('?status=open')).map((d) => d.id)).not.toContain(letter.id);
    await eventually(() => updates.some((u) => u.id === letter.id && u.status === 'retried'), 3000, 'deadletter:update');
  });

  it('runs only the handler that gave up, not the ones that handled the event', async () => {
    const pub = await t.agent('dlr-pub-2');
    const sub = await t.agent('dlr-sub-2', { handlerAttempts: 2, handlerBackoffMs: 5 });
    sub.on('error', () => undefined);
    let failing = true;
    const good: string[] = [];
    const flaky: string[] = [];
    await sub.subscribe(['dlr:two'], (e) => void good.push(e.id));
    await sub.subscribe(['dlr:#'], (e) => {
      flaky.push(e.id);
      if (failing) throw new Error('no');
    });
    const published = await pub.publish('dlr:two', 1);
    const letter = await deadLetterOf(published.id);
    expect([good.length, flaky.length]).toEqual([1, 2]);
    failing = false;
    expect((await retry(letter.id)).status).toBe(200);
    await eventually(() => flaky.length === 3, 5000, 'the flaky handler again');
    await sub.idle();
    expect(good).toHaveLength(1);
  });

  it('dead-letters a redelivered event that fails again, as a new open letter', async () => {
    const pub = await t.agent('dlr-pub-3');
    const { state } = await flakySubscriber('dlr-sub-3', 'dlr:three');
    const published = await pub.publish('dlr:three', 1);
    const first = await deadLetterOf(published.id);
    expect((await retry(first.id)).status).toBe(200);
    await eventually(
      async () => (await letters()).some((d) => d.eventId === published.id && d.id !== first.id),
      5000,
      'a second dead letter',
    );
    const mine = (await letters()).filter((d) => d.eventId === published.id);
    expect(mine.map((d) => [d.id === first.id ? 'first' : 'second', d.status]).sort()).toEqual([
      ['first', 'retried'],
      ['second', 'open'],
    ]);
    expect(state.calls).toHaveLength(6);
  });

  it('refuses a second retry with DEAD_LETTER_RESOLVED, and delivers once when two race', async () => {
    const pub = await t.agent('dlr-pub-4');
    const { state } = await flakySubscriber('dlr-sub-4', 'dlr:four');
    const published = await pub.publish('dlr:four', 1);
    const letter = await deadLetterOf(published.id);
    state.failing = false;
    const [a, b] = await Promise.all([retry(letter.id), retry(letter.id)]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    await expectError(a.status === 409 ? a : b, 409, 'DEAD_LETTER_RESOLVED');
    const again = await retry(letter.id);
    const body = await json(again);
    expect([again.status, body.error.code, body.error.details?.status]).toEqual([409, 'DEAD_LETTER_RESOLVED', 'retried']);
    await eventually(() => state.succeeded.length === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(state.calls).toHaveLength(4);
  });

  it('refuses a retry while the agent is offline with AGENT_OFFLINE and keeps the letter open', async () => {
    const pub = await t.agent('dlr-pub-5');
    const { sub, state } = await flakySubscriber('dlr-sub-5', 'dlr:five');
    const published = await pub.publish('dlr:five', 1);
    const letter = await deadLetterOf(published.id);
    await sub.close();
    await eventually(async () => (await json(await t.api('/api/agents/dlr-sub-5'))).status !== 'healthy', 5000, 'the agent gone');
    await expectError(await retry(letter.id), 409, 'AGENT_OFFLINE');
    expect((await letters()).find((d) => d.id === letter.id)).toMatchObject({ status: 'open', resolvedBy: null, resolvedAt: null });
    expect(state.calls).toHaveLength(3);

    // Back as a new process, which cannot know which handler failed: every handler of the topic runs.
    const back = await t.agent('dlr-sub-5');
    const handled: HubEvent[] = [];
    await back.subscribe(['dlr:five'], (e) => void handled.push(e), { policy: 'none' });
    expect((await retry(letter.id)).status).toBe(200);
    await eventually(() => handled.length === 1, 5000, 'the restarted agent handled it');
    expect(handled[0]!.id).toBe(published.id);
  });

  it('refuses a retry with AGENT_NOT_SUBSCRIBED when the agent has no handler for the topic any more', async () => {
    const pub = await t.agent('dlr-pub-6');
    const { sub } = await flakySubscriber('dlr-sub-6', 'dlr:six');
    const published = await pub.publish('dlr:six', 1);
    const letter = await deadLetterOf(published.id);
    await sub.unsubscribe(['dlr:six']);
    await expectError(await retry(letter.id), 409, 'AGENT_NOT_SUBSCRIBED');
    expect((await letters()).find((d) => d.id === letter.id)?.status).toBe('open');
  });

  it('answers REQUEST_TIMEOUT when the agent is connected but never confirms the redelivery', async () => {
    // A client that dead-letters an event itself and ignores `event:redeliver` (an older SDK, say).
    const raw = io(`${t.url}/agents`, {
      auth: { agentId: 'dlr-raw', token: t.agentToken('dlr-raw') },
      transports: ['websocket'],
      forceNew: true,
    });
    try {
      const call = (event: string, payload: unknown) =>
        new Promise<{ ok: boolean; data?: { id: string; offset: number } }>((resolve) => raw.emit(event, payload, resolve));
      expect((await call('agent:register', { name: 'raw', capabilities: [] })).ok).toBe(true);
      const published = await json(await post('/api/events', { topic: 'dlr:raw', payload: 1 }));
      const nacked = await call('event:nack', { id: published.id, offset: published.offset, attempts: 1, error: 'no' });
      const started = Date.now();
      await expectError(await retry(nacked.data!.id), 504, 'REQUEST_TIMEOUT');
      expect(Date.now() - started).toBeGreaterThanOrEqual(4500);
      expect((await letters()).find((d) => d.id === nacked.data!.id)?.status).toBe('open');
    } finally {
      raw.disconnect();
    }
  });
});

describe('discarding a dead letter', () => {
  it('marks it discarded without delivering anything, and refuses a later retry', async () => {
    const pub = await t.agent('dlr-pub-7');
    const { state } = await flakySubscriber('dlr-sub-7', 'dlr:seven');
    const published = await pub.publish('dlr:seven', 1);
    const letter = await deadLetterOf(published.id);
    const res = await discard(letter.id);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ id: letter.id, status: 'discarded', resolvedBy: 'operator' });
    expect((await letters('?status=discarded')).map((d) => d.id)).toContain(letter.id);
    await eventually(() => updates.some((u) => u.id === letter.id && u.status === 'discarded'), 3000, 'deadletter:update');
    await expectError(await retry(letter.id), 409, 'DEAD_LETTER_RESOLVED');
    await expectError(await discard(letter.id), 409, 'DEAD_LETTER_RESOLVED');
    expect(state.calls).toHaveLength(3);
  });
});

describe('dead letter routes', () => {
  it('answers an unknown id with DEAD_LETTER_NOT_FOUND and a malformed one with VALIDATION_FAILED', async () => {
    await expectError(await retry('no-such-letter'), 404, 'DEAD_LETTER_NOT_FOUND');
    await expectError(await discard('no-such-letter'), 404, 'DEAD_LETTER_NOT_FOUND');
    await expectError(await retry('bad%20id'), 400, 'VALIDATION_FAILED');
    await expectError(
      await t.api('/api/deadletters/x/retry', { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } }),
      400,
      'VALIDATION_FAILED',
    );
    await expectError(await retry('x', { by: '' }), 400, 'VALIDATION_FAILED');
    await expectError(await t.api('/api/deadletters?status=pending'), 400, 'VALIDATION_FAILED');
    await expectError(await t.api('/api/deadletters/x/retry', { method: 'POST', auth: false }), 401, 'UNAUTHENTICATED');
  });
});
