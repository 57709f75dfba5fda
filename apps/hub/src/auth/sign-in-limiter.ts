import type { Clock } from '@agent-hub/core';

export interface SignInLimiterOptions {
  clock: Clock;
  /** Failures one address may make per window; the next attempt is refused until the window ends. */
  maxFailures: number;
  windowMs: number;
  /** Addresses remembered at most (a flood of spoofed sources cannot grow memory without bound). */
  maxAddresses?: number;
}

interface Window {
  startedAt: number;
  failures: number;
}

/**
 * Failed sign-ins per source address, in fixed windows: once an address has failed `maxFailures`
 * times in a window, every attempt from it — right or wrong — is refused until the window ends, so
 * a guessing loop gets `maxFailures` guesses per window and learns nothing from the refusals.
 * Other addresses are not affected. Per node: behind a load balancer each node counts its own.
 */
export class SignInLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly maxAddresses: number;

  constructor(private readonly o: SignInLimiterOptions) {
    this.maxAddresses = o.maxAddresses ?? 100_000;
  }

  /** Milliseconds until `address` may try again, or 0 when it may now. */
  retryAfterMs(address: string): number {
    const w = this.current(address);
    if (!w || w.failures < this.o.maxFailures) return 0;
    return w.startedAt + this.o.windowMs - this.o.clock.now();
  }

  failed(address: string): void {
    let w = this.current(address);
    if (!w) {
      if (this.windows.size >= this.maxAddresses) this.prune();
      w = { startedAt: this.o.clock.now(), failures: 0 };
      this.windows.set(address, w);
    }
    w.failures++;
  }

  private current(address: string): Window | undefined {
    const w = this.windows.get(address);
    if (w && this.o.clock.now() - w.startedAt >= this.o.windowMs) {
      this.windows.delete(address);
      return undefined;
    }
    return w;
  }

  /** Drops ended windows; if every one is live, the oldest half (Map order is insertion order). */
  private prune(): void {
    const now = this.o.clock.now();
    for (const [a, w] of this.windows) if (now - w.startedAt >= this.o.windowMs) this.windows.delete(a);
    if (this.windows.size < this.maxAddresses) return;
    let drop = Math.ceil(this.windows.size / 2);
    for (const a of this.windows.keys()) {
      if (drop-- <= 0) break;
      this.windows.delete(a);
    }
  }
}
