import { describe, expect, it } from 'vitest';
import type { SessionMessage } from '@agent-hub/protocol';
import { HistoryCache } from './history-cache.ts';

const msg = (seq: number): SessionMessage => ({ seq, role: 'agent', author: 'a', content: `m${seq}`, metadata: {}, createdAt: '' });

describe('history cache', () => {
  it('extends a cached history with the messages that follow it', () => {
    const c = new HistoryCache(10);
    c.extend('s', [msg(1), msg(2)], true);
    c.extend('s', [msg(3)]);
    expect(c.get('s')?.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it('drops an entry rather than keep a history with a gap', () => {
    const c = new HistoryCache(10);
    c.extend('s', [msg(1)], true);
    c.extend('s', [msg(3)]);
    expect(c.get('s')).toBeUndefined();
  });

  it('evicts the least recently used session past capacity', () => {
    const c = new HistoryCache(2);
    c.extend('a', [msg(1)], true);
    c.extend('b', [msg(1)], true);
    c.get('a');
    c.extend('c', [msg(1)], true);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBeDefined();
  });
});
