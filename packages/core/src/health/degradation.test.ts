import { describe, expect, it } from 'vitest';
import { DegradationController } from './degradation.ts';
import { FakeClock } from '../testing/fake-clock.ts';

const settings = {
  failures: 3,
  windowMs: 30_000,
  checkIntervalMs: 60_000,
  recoverAfterMs: 120_000,
  recoverMaxFailures: 2,
  normalSessionLimit: 100,
  degradedSessionLimit: 50,
};

describe('graceful degradation', () => {
  it('enters degraded mode on the 4th failure within 30 s and halves the session limit', () => {
    const clock = new FakeClock();
    const d = new DegradationController(clock, settings);
    for (let i = 0; i < 3; i++) {
      d.recordFailure();
      clock.advance(5000);
    }
    expect(d.current().degraded).toBe(false);
    d.recordFailure();
    expect(d.current()).toMatchObject({ degraded: true, sessionLimit: 50 });
    expect(d.current().reason).toMatch(/4 agent failures within 30 s/);
  });

  it('does not degrade when failures are spread out', () => {
    const clock = new FakeClock();
    const d = new DegradationController(clock, settings);
    for (let i = 0; i < 10; i++) {
      d.recordFailure();
      clock.advance(11_000);
    }
    expect(d.current().degraded).toBe(false);
  });

  it('leaves degraded mode on its own after 120 s with fewer than 2 failures', () => {
    const clock = new FakeClock();
    const d = new DegradationController(clock, settings);
    d.start();
    for (let i = 0; i < 4; i++) d.recordFailure();
    clock.advance(60_000);
    expect(d.current().degraded).toBe(true);
    clock.advance(60_000);
    expect(d.current()).toMatchObject({ degraded: false, sessionLimit: 100 });
    d.close();
  });

  it('stays degraded while failures continue', () => {
    const clock = new FakeClock();
    const d = new DegradationController(clock, settings);
    d.start();
    for (let i = 0; i < 4; i++) d.recordFailure();
    clock.advance(100_000);
    d.recordFailure();
    d.recordFailure();
    clock.advance(20_000);
    expect(d.current().degraded).toBe(true);
    d.close();
  });
});
