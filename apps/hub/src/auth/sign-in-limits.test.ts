import { describe, expect, it } from 'vitest';
import type { Clock } from '@agent-hub/core';
import { TrustedProxies, clientAddress } from './client-address.ts';
import { SignInLimiter } from './sign-in-limiter.ts';

function fakeClock(): Clock & { advance(ms: number): void } {
  let now = 1_000_000;
  return { now: () => now, setTimeout: () => 0 as never, clearTimeout: () => undefined, advance: (ms) => (now += ms) };
}

describe('clientAddress', () => {
  const lb = new TrustedProxies('10.0.0.0/8, 192.168.1.5');

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(clientAddress('203.0.113.5', '198.51.100.1', lb)).toBe('203.0.113.5');
    expect(clientAddress('203.0.113.5', '198.51.100.1', new TrustedProxies(''))).toBe('203.0.113.5');
  });

  it('takes the right-most untrusted hop behind trusted proxies (what the client wrote on the left proves nothing)', () => {
    expect(clientAddress('10.1.2.3', 'forged, 198.51.100.1', lb)).toBe('198.51.100.1');
    expect(clientAddress('::ffff:10.1.2.3', '198.51.100.1, 192.168.1.5', lb)).toBe('198.51.100.1');
    expect(clientAddress('10.1.2.3', undefined, lb)).toBe('10.1.2.3');
  });

  it('refuses a TRUSTED_PROXIES entry that is not an address', () => {
    expect(() => new TrustedProxies('lb.internal')).toThrow(/TRUSTED_PROXIES/);
  });
});

describe('SignInLimiter', () => {
  it('refuses an address after maxFailures in a window, until the window ends, and no other address', () => {
    const clock = fakeClock();
    const limiter = new SignInLimiter({ clock, maxFailures: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterMs('a')).toBe(0);
      limiter.failed('a');
    }
    expect(limiter.retryAfterMs('a')).toBe(60_000);
    expect(limiter.retryAfterMs('b')).toBe(0);
    clock.advance(59_000);
    expect(limiter.retryAfterMs('a')).toBe(1000);
    clock.advance(1000);
    expect(limiter.retryAfterMs('a')).toBe(0);
  });

  it('remembers a bounded number of addresses', () => {
    const limiter = new SignInLimiter({ clock: fakeClock(), maxFailures: 1, windowMs: 60_000, maxAddresses: 10 });
    for (let i = 0; i < 100; i++) limiter.failed(`addr-${i}`);
    expect(limiter.retryAfterMs('addr-99')).toBeGreaterThan(0);
    expect(limiter.retryAfterMs('addr-0')).toBe(0);
  });
});
