import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/fake-clock.ts';
import { RecoveryProbe } from './recovery-probe.ts';
import { jitteredDelay } from './retry-backoff.ts';

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

/** A probe whose pings fail while `down`, hang while `hang`, and answer after `slowMs` if set. */
function probed(opts: { random?: () => number } = {}) {
  const clock = new FakeClock();
  const state = { down: true, hang: false, slowMs: 0, pings: 0, back: 0 };
  const ping = () => {
    state.pings++;
    if (state.hang) return new Promise<void>(() => {});
    if (state.slowMs > 0) return new Promise<void>((resolve) => clock.setTimeout(resolve, state.slowMs));
    return state.down ? Promise.reject(new Error('refused')) : Promise.resolve();
  };
  const probe = new RecoveryProbe(ping, clock, { intervalMs: 500, timeoutMs: 400 }, () => state.back++, opts.random ?? (() => 0.5));
  /** Moves the clock in small steps, letting each ping settle. */
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 50) {
      clock.advance(50);
      await flush();
    }
  };
  return { clock, state, probe, advance };
}

describe('recovery probe', () => {
  it('notices a store that is back but answers slower than the ping timeout', async () => {
    const { state, probe, advance } = probed();
    probe.start();
    await advance(1000);
    state.down = false;
    state.slowMs = 1000; // 2.5x the 400 ms timeout: waited for once two pings have timed out
    await advance(6000);
    expect(state.back).toBe(1);
    probe.stop();
  });

  it('calls back within one interval of the store answering again', async () => {
    const { state, probe, advance } = probed();
    probe.start();
    await advance(3000);
    expect(state.pings).toBe(6);
    expect(state.back).toBe(0);
    state.down = false;
    await advance(500);
    expect(state.back).toBe(1);
    probe.stop();
  });

  it('calls back once per return while writes succeed', async () => {
    const { state, probe, advance } = probed();
    probe.start();
    state.down = false;
    await advance(5000);
    expect(state.back).toBe(1);
    // The owner's next write failed and it starts the probe, which is still running: no new call.
    probe.start();
    await advance(5000);
    expect(state.back).toBe(1);
    state.down = true;
    await advance(1000);
    state.down = false;
    await advance(1000);
    expect(state.back).toBe(2);
    probe.stop();
  });

  it('calls back again after a write fails while pings answer, waiting longer after each such failure', async () => {
    const { clock, state, probe, advance } = probed();
    probe.start();
    state.down = false;
    await advance(1000);
    expect(state.back).toBe(1);
    // Writes keep failing while pings answer (a store turned read-only): the owner reports each.
    const calledAt: number[] = [];
    for (let n = 0; n < 6; n++) {
      const before = state.back;
      const failedAt = clock.now();
      probe.writeFailed();
      while (state.back === before && clock.now() - failedAt < 20_000) await advance(50);
      calledAt.push(clock.now() - failedAt);
    }
    // Quiet for 1, 2, 4, 8, 8, 8 intervals of 500 ms, then the next ping (every 250–750 ms).
    const quiet = [1, 2, 4, 8, 8, 8].map((k) => k * 500);
    calledAt.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(quiet[i]!);
      expect(ms).toBeLessThanOrEqual(quiet[i]! + 750);
    });
    // A report while the store is already seen as down changes nothing: its return is called at once.
    state.down = true;
    await advance(1000);
    probe.writeFailed();
    state.down = false;
    const before = state.back;
    await advance(750);
    expect(state.back).toBe(before + 1);
    probe.stop();
  });

  it('forgets the longer quiet time at a new start', async () => {
    const { clock, state, probe, advance } = probed();
    probe.start();
    state.down = false;
    await advance(1000);
    for (let n = 0; n < 4; n++) {
      probe.writeFailed();
      await advance(5000);
    }
    expect(state.back).toBe(5);
    probe.stop();
    probe.start();
    await advance(1000);
    expect(state.back).toBe(6);
    const failedAt = clock.now();
    probe.writeFailed();
    while (state.back === 6) await advance(50);
    expect(clock.now() - failedAt).toBeLessThanOrEqual(500 + 750);
    probe.stop();
  });

  it('counts a ping that does not answer in time as failed, and pings again', async () => {
    const { state, probe, advance } = probed();
    state.hang = true;
    probe.start();
    await advance(2000);
    // A ping every 500 ms while none is in flight, each given up after 400 ms, then 800, 1,600:
    // at 500 (given up at 900), 1,000 (given up at 1,800) and 2,000.
    expect(state.pings).toBe(3);
    expect(state.back).toBe(0);
    state.hang = false;
    state.down = false;
    // The ping sent at 2,000 hangs until given up at 3,600; the next one answers.
    await advance(2500);
    expect(state.back).toBe(1);
    probe.stop();
  });

  it('pings no more once stopped', async () => {
    const { state, probe, advance } = probed();
    probe.start();
    await advance(1000);
    probe.stop();
    const pings = state.pings;
    await advance(5000);
    expect(state.pings).toBe(pings);
    expect(probe.running).toBe(false);
  });

  it('spreads its pings with the injected randomness', async () => {
    const early = probed({ random: () => 0 });
    const late = probed({ random: () => 0.99 });
    early.probe.start();
    late.probe.start();
    await Promise.all([early.advance(1500), late.advance(1500)]);
    // Every 250 ms against every 745 ms.
    expect(early.state.pings).toBe(6);
    expect(late.state.pings).toBe(2);
    early.probe.stop();
    late.probe.stop();
  });
});

describe('jittered retry schedule', () => {
  it('follows the schedule, repeating its last step, within ±50%', () => {
    const schedule = [1000, 5000, 30_000];
    expect([1, 2, 3, 4, 9].map((n) => jitteredDelay(schedule, n, () => 0.5))).toEqual([1000, 5000, 30_000, 30_000, 30_000]);
    expect(jitteredDelay(schedule, 1, () => 0)).toBe(500);
    expect(jitteredDelay(schedule, 3, () => 0.999)).toBe(44_970);
  });

  it('gives nodes that failed together different retry times', () => {
    let seed = 1;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const delays = new Set(Array.from({ length: 10 }, () => jitteredDelay([30_000], 1, random)));
    expect(delays.size).toBe(10);
  });
});
