import type { HubStatus } from '@agent-hub/protocol';
import { TypedEmitter } from '@agent-hub/core';

export type Phase = 'starting' | 'ready' | 'shutting-down';

/** What the probes and the dashboard banner report: phase plus every reason the hub is not at full service. */
export class HubState extends TypedEmitter<{ change: [HubStatus] }> {
  phase: Phase = 'starting';
  degradedReason: string | null = null;
  degradedSince: string | null = null;
  storeDegraded = false;
  sessionLimit: number;

  constructor(
    readonly version: string,
    readonly node: string,
    readonly normalSessionLimit: number,
  ) {
    super();
    this.sessionLimit = normalSessionLimit;
  }

  set(patch: Partial<Pick<HubState, 'phase' | 'degradedReason' | 'degradedSince' | 'storeDegraded' | 'sessionLimit'>>): void {
    Object.assign(this, patch);
    this.emit('change', this.status());
  }

  status(): HubStatus {
    return {
      version: this.version,
      node: this.node,
      degraded: this.degradedReason !== null,
      degradedReason: this.degradedReason,
      degradedSince: this.degradedSince,
      sessionLimit: this.sessionLimit,
      storeDegraded: this.storeDegraded,
      shuttingDown: this.phase === 'shutting-down',
    };
  }
}

/** Several writers (session outbox, event log) report store trouble; the hub is store-degraded if any does. */
export class StoreHealth {
  private failing = new Set<string>();

  constructor(private readonly state: HubState) {}

  set(source: string, down: boolean): void {
    const before = this.failing.size > 0;
    if (down) this.failing.add(source);
    else this.failing.delete(source);
    const after = this.failing.size > 0;
    if (before !== after) this.state.set({ storeDegraded: after });
  }

  sources(): string[] {
    return [...this.failing];
  }
}
