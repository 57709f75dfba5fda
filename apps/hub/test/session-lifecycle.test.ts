import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, json, startTestHub, type TestHub } from './support/test-hub.ts';

let t: TestHub;
beforeAll(async () => {
  t = await startTestHub({
    STORE: 'pglite',
    SESSION_IDLE_AFTER_MS: '300',
    SESSION_EXPIRE_AFTER_MS: '900',
    SESSION_RETENTION_MS: '1800',
    SESSION_SWEEP_INTERVAL_MS: '100',
  });
});
afterAll(() => t.close());

const stateOf = async (id: string) => {
  const res = await t.api(`/api/sessions/${id}?history=false`);
  return res.status === 404 ? 'purged' : (await json(res)).state;
};

describe('session lifecycle (background sweep on PGlite)', () => {
  it('moves an untouched session active → idle → expired → purged', async () => {
    const s = await json(await t.api('/api/sessions', { method: 'POST', body: '{}' }));
    expect(s.state).toBe('active');
    await eventually(async () => (await stateOf(s.id)) === 'idle', 5000, 'idle');
    await eventually(async () => (await stateOf(s.id)) === 'expired', 5000, 'expired');
    const expiredList = await json(await t.api('/api/sessions?state=expired'));
    expect(expiredList.items.map((x: any) => x.id)).toContain(s.id);
    await eventually(async () => (await stateOf(s.id)) === 'purged', 5000, 'purged after retention');
  });

  it('brings an idle session back to active on activity, and refuses writes to an expired one', async () => {
    const s = await json(await t.api('/api/sessions', { method: 'POST', body: '{}' }));
    await eventually(async () => (await stateOf(s.id)) === 'idle', 5000, 'idle');
    const appended = await t.api(`/api/sessions/${s.id}/messages`, {
      method: 'POST',
      body: JSON.stringify({ messages: [{ content: 'wake up' }] }),
    });
    expect((await json(appended)).session.state).toBe('active');
    await eventually(async () => (await stateOf(s.id)) === 'expired', 5000, 'expired');
    const late = await t.api(`/api/sessions/${s.id}/messages`, {
      method: 'POST',
      body: JSON.stringify({ messages: [{ content: 'too late' }] }),
    });
    expect(late.status).toBe(409);
    expect((await json(late)).error.code).toBe('SESSION_EXPIRED');
  });
});
