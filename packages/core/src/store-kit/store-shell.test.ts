import { HubError } from '@agent-hub/protocol';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../memory-store/memory-store.ts';
import { StoreShell, type StoreShellParts } from './store-shell.ts';

/** A shell around the memory store's parts, with a release and a translate the test watches. */
class WatchedStore extends StoreShell {
  readonly kind = 'memory' as const;
  releases = 0;
  constructor(overrides: Partial<StoreShellParts> = {}) {
    const inner = new MemoryStore();
    const parts = { sessions: inner.sessions, events: inner.events, agents: inner.agents, kv: inner.kv, checkpoints: inner.checkpoints };
    super({ ...parts, ping: async () => {}, release: async () => void this.releases++, ...overrides });
  }
}

describe('StoreShell', () => {
  it('releases the backend once, however often and however concurrently it is closed', async () => {
    const store = new WatchedStore();
    const [a, b] = [store.close(), store.close()];
    expect(a).toBe(b);
    await Promise.all([a, b, store.close()]);
    expect(store.releases).toBe(1);
  });

  it('refuses calls after close without reaching the backend', async () => {
    let pings = 0;
    const store = new WatchedStore({
      ping: async () => {
        pings++;
      },
    });
    await store.ping();
    await store.close();
    await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', details: { cause: 'closed' } });
    expect(pings).toBe(1);
  });

  it('passes failures through the adapter translate, from ping and from the parts', async () => {
    const translate = (err: unknown) => new HubError('STORE_UNAVAILABLE', 'translated', { cause: (err as Error).message });
    const store = new WatchedStore({
      ping: async () => {
        throw new Error('socket gone');
      },
      translate,
    });
    await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', details: { cause: 'socket gone' } });
    await expect(store.sessions.appendMessages('missing', undefined, [], 0)).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: 'translated',
    });
  });
});
