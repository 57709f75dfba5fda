import type { HubError } from '@agent-hub/protocol';

/**
 * Where a client stands, as socket.io-client, nats.js and centrifuge-js name it:
 * - `connecting`: (re)connecting and registering; calls made now wait for the registration;
 * - `connected`: registered with a hub, calls go out at once;
 * - `disconnected`: the connection dropped and a reconnect is scheduled;
 * - `closed`: for good (`close()`, or the hub refused or replaced this agent); `closed()` resolves.
 */
export type ClientState = 'connecting' | 'connected' | 'disconnected' | 'closed';

/**
 * Why a client closed for good: `client` (its `close()`, or a first connect given up),
 * `refused` (a handshake refusal no retry can fix: bad token, unsupported protocol) or
 * `replaced` (the hub ended the connection on purpose: a newer connection of the same agent, a
 * revoked token). `error` is the hub's typed error when there is one.
 */
export interface ClosedInfo {
  reason: 'client' | 'refused' | 'replaced';
  error?: HubError;
}

/** A state change, as the `'state'` event carries it. */
export interface StateChange {
  state: ClientState;
  previous: ClientState;
  /** The socket.io disconnect reason, or why the client closed. */
  detail?: string;
}

/**
 * The client's state machine: one place that knows the current state, tells of each change, and
 * holds the promise `closed()` returns. `closed` is final: later changes are ignored.
 */
export class ClientLifecycle {
  state: ClientState = 'connecting';
  readonly closed: Promise<ClosedInfo>;
  private resolveClosed!: (info: ClosedInfo) => void;

  constructor(private readonly onChange: (change: StateChange) => void) {
    this.closed = new Promise<ClosedInfo>((resolve) => (this.resolveClosed = resolve));
  }

  /** Moves to `next` and tells of it; returns false if nothing changed (same state, or closed). */
  to(next: Exclude<ClientState, 'closed'>, detail?: string): boolean {
    if (this.state === next || this.state === 'closed') return false;
    const previous = this.state;
    this.state = next;
    this.onChange({ state: next, previous, detail });
    return true;
  }

  close(info: ClosedInfo): void {
    if (this.state === 'closed') return;
    const previous = this.state;
    this.state = 'closed';
    this.onChange({ state: 'closed', previous, detail: info.error?.message ?? info.reason });
    this.resolveClosed(info);
  }
}
