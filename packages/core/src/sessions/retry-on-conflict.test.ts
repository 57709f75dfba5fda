import { describe, expect, it } from 'vitest';
import { HubError } from '@agent-hub/protocol';
import { retryOnConflict } from './retry-on-conflict.ts';
import type { Clock } from '../ports/clock.ts';

const instantClock: Clock = { now: () => 0, setTimeout: (fn) => (fn(), {}), clearTimeout: () => {} };

describe('retry on conflict', () => {
  it('retries a conflicting write and returns the first success', async () => {
    let calls = 0;
    const result = await retryOnConflict(instantClock, async () => {
      if (++calls < 3) throw new HubError('SESSION_VERSION_CONFLICT', 'stale', { currentVersion: calls + 1 });
      return 'saved';
    });
    expect(result).toBe('saved');
    expect(calls).toBe(3);
  });

  it('gives up after 3 tries with the conflict', async () => {
    let calls = 0;
    const err = await retryOnConflict(instantClock, async () => {
      calls++;
      throw new HubError('SESSION_VERSION_CONFLICT', 'stale', { currentVersion: 9 });
    }).catch((e) => e);
    expect(calls).toBe(3);
    expect(err.code).toBe('SESSION_VERSION_CONFLICT');
  });

  it('does not retry other errors', async () => {
    let calls = 0;
    await retryOnConflict(instantClock, async () => {
      calls++;
      throw new HubError('SESSION_NOT_FOUND', 'gone');
    }).catch(() => undefined);
    expect(calls).toBe(1);
  });
});
