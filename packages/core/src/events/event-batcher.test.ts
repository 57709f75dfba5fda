import { HubError, type HubEvent } from '@agent-hub/protocol';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../ports/logger.ts';
import type { EventLog } from '../ports/store.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { EventBatcher } from './event-batcher.ts';

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

const event = (offset: number): HubEvent => ({
  id: `e${offset}`,
  offset,
  topic: 't',
  priority: 'normal',
  ts: new Date(0).toISOString(),
  publisher: 'p',
  payload: {},
});

/** A log (and a ping) that refuse while `down`; the batcher only ever calls appendEvents. */
function logOn(opts: { random?: () => number; probeIntervalMs?: number } = {}) {
  const clock = new FakeClock();
  const state = { down: false, stored: [] as string[], late: [] as string[] };
  const refused = () => new HubError('STORE_UNAVAILABLE', 'down');
  const log = {
    appendEvents: async (events: HubEvent[]) => {
      if (state.down) throw refused();
      state.stored.push(...events.map((e) => e.id));
      return events.map((e) => e.id);
    },
  } as unknown as EventLog;
  const ping = async () => {
    if (state.down) throw refused();
  };
  const batcher = new EventBatcher(
    log,
    clock,
    { max: 100, delayMs: 2, probe: { ping, intervalMs: opts.probeIntervalMs ?? 500, timeoutMs: 400 }, random: opts.random ?? (() => 0.5) },
    silentLogger,
    { onCommitted: (_all, late) => state.late.push(...late.map((e) => e.id)) },
  );
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 50) {
      clock.advance(50);
      await flush();
    }
  };
  return { state, batcher, advance };
}

describe('event batcher while the store is down', () => {
  it('commits queued events within one probe interval of the store answering, not at the next scheduled retry', async () => {
    const { state, batcher, advance } = logOn();
    state.down = true;
    const durable = batcher.add(event(1));
    await advance(10);
    expect(await durable).toBe(false);
    // Down long enough that the scheduled retries have backed off to 30 s.
    await advance(40_000);
    expect(state.stored).toEqual([]);
    state.down = false;
    await advance(750);
    expect(state.stored).toEqual(['e1']);
    expect(state.late).toEqual(['e1']);
    expect(batcher.storeDown).toBe(false);
    await batcher.close();
  });

  it('spreads its scheduled retries, so nodes that lost the store together do not retry in step', async () => {
    const firstRetry = async (random: () => number) => {
      // No pings answered in time to matter: only the schedule retries.
      const { state, batcher, advance } = logOn({ random, probeIntervalMs: 3_600_000 });
      state.down = true;
      void batcher.add(event(1));
      await advance(50);
      state.down = false;
      let waited = 0;
      while (state.stored.length === 0 && waited < 5000) {
        await advance(50);
        waited += 50;
      }
      await batcher.close();
      return waited;
    };
    expect(await firstRetry(() => 0)).toBe(500);
    expect(await firstRetry(() => 0.99)).toBe(1500);
  });
});
