import { describe, expect, it } from 'vitest';
import { HubError } from '@agent-hub/protocol';
import type { Clock, KeyValueStore } from '@agent-hub/core';
import { MemoryStore } from '@agent-hub/store';
import { OperatorCredentials } from './operator-credentials.ts';

const BUILT_IN = 'b'.repeat(32);

function clock(): Clock & { advance(ms: number): void } {
  let now = Date.parse('2026-01-01T00:00:00Z');
  return { now: () => now, setTimeout: () => 0 as never, clearTimeout: () => undefined, advance: (ms) => (now += ms) };
}

/** A key-value space whose reads can be made to fail like an unreachable store. */
function outageable(kv: KeyValueStore): KeyValueStore & { down: boolean } {
  const o = {
    down: false,
    getValue: <T>(key: string) => (o.down ? Promise.reject(new HubError('STORE_UNAVAILABLE', 'down')) : kv.getValue<T>(key)),
    putValue: (key: string, value: unknown, v: number) => kv.putValue(key, value, v),
    deleteValue: (key: string) => kv.deleteValue(key),
    listKeys: (prefix: string) => kv.listKeys(prefix),
  };
  return o;
}

describe('OperatorCredentials', () => {
  it('accepts the built-in token as admin and an issued one with its scope, storing only a hash', async () => {
    const kv = new MemoryStore().kv;
    const creds = new OperatorCredentials(kv, BUILT_IN, clock());
    expect(await creds.authenticate(BUILT_IN)).toMatchObject({ name: 'admin', scope: 'admin' });
    const issued = await creds.issue('grafana', 'read', 'admin');
    expect(await creds.authenticate(issued.token)).toEqual({ id: issued.id, name: 'grafana', scope: 'read' });
    const stored = await kv.getValue(`operator-tokens:${issued.id}`);
    expect(JSON.stringify(stored)).not.toContain(issued.token.split('.')[2]);
    expect(await creds.authenticate(issued.token.slice(0, -1) + (issued.token.endsWith('A') ? 'B' : 'A'))).toBeNull();
    expect(await creds.authenticate('aho1.0000000000000000.' + 'x'.repeat(43))).toBeNull();
  });

  it('refuses a revoked credential and lists it as revoked; a name in use is refused', async () => {
    const creds = new OperatorCredentials(new MemoryStore().kv, BUILT_IN, clock());
    const t = await creds.issue('oncall', 'operate', 'admin');
    await expect(creds.issue('oncall', 'read', 'admin')).rejects.toMatchObject({ code: 'VERSION_CONFLICT' });
    const revoked = await creds.revoke('oncall', 'admin');
    expect(revoked.revokedBy).toBe('admin');
    expect(await creds.authenticate(t.token)).toBeNull();
    const list = await creds.list();
    expect(list.map((c) => [c.name, c.builtIn, c.revokedAt !== null])).toEqual([
      ['admin', true, false],
      ['oncall', false, true],
    ]);
    await expect(creds.revoke('admin', 'admin')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(creds.revoke('nobody', 'admin')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('keeps accepting a lately verified token for 15 minutes while the store is down, and nothing else', async () => {
    const kv = outageable(new MemoryStore().kv);
    const c = clock();
    const creds = new OperatorCredentials(kv, BUILT_IN, c);
    const seen = await creds.issue('prometheus', 'read', 'admin');
    const unseen = await creds.issue('other', 'read', 'admin');
    await creds.authenticate(seen.token);
    kv.down = true;
    expect(await creds.authenticate(seen.token)).toMatchObject({ name: 'prometheus' });
    await expect(creds.authenticate(unseen.token)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(await creds.authenticate(BUILT_IN)).toMatchObject({ name: 'admin' });
    c.advance(15 * 60_000);
    await expect(creds.authenticate(seen.token)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
