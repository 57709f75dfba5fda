import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/fake-clock.ts';
import { settleWithin } from './deadline.ts';

describe('waiting within a deadline', () => {
  it('gives the answer when it comes in time, and the error likewise', async () => {
    const clock = new FakeClock();
    expect(await settleWithin(clock, 100, Promise.resolve('yes'))).toEqual({ settled: true, value: 'yes' });
    await expect(settleWithin(clock, 100, Promise.reject(new Error('no')))).rejects.toThrow('no');
  });

  it('stops waiting when the deadline passes without an answer, and takes no later one', async () => {
    const clock = new FakeClock();
    let answer: (v: string) => void = () => {};
    const waited = settleWithin(clock, 100, new Promise<string>((r) => (answer = r)));
    clock.advance(100);
    expect(await waited).toEqual({ settled: false });
    answer('too late');
  });

  it('takes an answer that arrived while the event loop ran late, rather than blame the store', async () => {
    const clock = new FakeClock();
    let answer: (v: string) => void = () => {};
    const waited = settleWithin(clock, 100, new Promise<string>((r) => (answer = r)));
    // The timer fires late, in the same turn as the answer that was already waiting.
    clock.advance(250);
    answer('here all along');
    expect(await waited).toEqual({ settled: true, value: 'here all along' });
  });
});
