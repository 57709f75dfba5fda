import { HubError } from '@agent-hub/protocol';

/** Longest a timer can wait in Node and browsers; a later refresh is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Refresh this long before expiry at most, and at 80% of the remaining lifetime for short tokens. */
const LEAD_MAX_MS = 60_000;
const RETRY_MS = 1000;

export interface TokenRefreshOptions {
  /** The application's source of a newer token for the same agent (e.g. its own call to POST /api/agents/tokens). */
  refresh?: () => Promise<string>;
  /** Hands a new token to the hub on the live connection (`auth:refresh`); not called while disconnected. */
  send: (token: string) => Promise<unknown>;
  connected: () => boolean;
  onRefreshed?: (expiresAt: number | null) => void;
  onError?: (err: unknown) => void;
}

/**
 * Keeps an agent's token fresh: reads the expiry of an `ah2` token, asks the application for a
 * new one before it, and swaps it in on the live connection — no reconnect, so subscriptions,
 * registration and in-flight publishes are untouched. The handshake of any later reconnect uses
 * the newest token. `ah1` tokens (no expiry) and clients without `refresh` schedule nothing.
 */
export class TokenRefresher {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    public current: string,
    private readonly o: TokenRefreshOptions,
  ) {
    this.schedule(0);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(failures: number): void {
    const exp = tokenExpiry(this.current);
    if (this.closed || !this.o.refresh || exp === null) return;
    const now = Date.now();
    const at =
      failures > 0 ? now + Math.min(RETRY_MS * 2 ** (failures - 1), 30_000) : exp - Math.min(LEAD_MAX_MS, Math.max(0, exp - now) * 0.2);
    this.timer = setTimeout(() => void this.run(failures), Math.min(MAX_TIMER_MS, Math.max(0, at - now)));
    (this.timer as { unref?: () => void }).unref?.();
  }

  private async run(failures: number): Promise<void> {
    const exp = tokenExpiry(this.current);
    if (this.closed || exp === null) return;
    if (failures === 0 && Date.now() < exp - LEAD_MAX_MS) return this.schedule(0); // a far expiry, re-armed
    try {
      const next = await this.o.refresh!();
      if (this.closed) return;
      if (this.o.connected()) await this.o.send(next);
      this.current = next;
      this.o.onRefreshed?.(tokenExpiry(next));
      this.schedule(0);
    } catch (err) {
      if (this.closed) return;
      this.o.onError?.(err instanceof Error ? err : new HubError('AGENT_UNAUTHORIZED', String(err)));
      this.schedule(failures + 1);
    }
  }
}

/** The expiry (epoch ms) an `ah2` token carries, read without its key; null for other tokens. */
export function tokenExpiry(token: string): number | null {
  if (!token.startsWith('ah2.')) return null;
  const body = token.slice(4, token.lastIndexOf('.'));
  try {
    const json = typeof atob === 'function' ? atob(body.replace(/-/g, '+').replace(/_/g, '/')) : '';
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : null;
  } catch {
    return null;
  }
}
