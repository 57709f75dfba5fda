import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { Runtime } from './group-documents.ts';
import { nextLeaseExpiry } from './task-queue.ts';

export interface TimerActions {
  turnExpired(groupId: string, turnId: string): Promise<void>;
  groupExpired(groupId: string): Promise<void>;
  leasesExpired(groupId: string): Promise<void>;
}

/**
 * A group's timers follow its committed state: one for the outstanding turn's deadline, one for the
 * group's overall deadline, one for the earliest task lease. Re-syncing after every write (and
 * after a restore) is all it takes.
 */
export class GroupTimers {
  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly on: TimerActions,
  ) {}

  sync(rt: Runtime): void {
    const s = rt.state;
    const cur = s.status === 'running' ? s.current : null;
    const key = cur?.deadlineAt ? `${cur.turnId}@${cur.deadlineAt}` : null;
    if (rt.turnTimer && rt.turnTimer.key !== key) {
      this.clock.clearTimeout(rt.turnTimer.handle);
      rt.turnTimer = null;
    }
    if (cur?.deadlineAt && key && !rt.turnTimer) {
      const turnId = cur.turnId;
      const handle = this.arm(Date.parse(cur.deadlineAt), () => {
        rt.turnTimer = null;
        return this.on.turnExpired(s.id, turnId);
      });
      rt.turnTimer = { key, handle };
    }
    this.syncLease(rt);
    if (s.status === 'ended') {
      if (rt.endTimer) this.clock.clearTimeout(rt.endTimer);
      rt.endTimer = null;
    } else if (!rt.endTimer) {
      rt.endTimer = this.arm(Date.parse(s.endsAt), () => {
        rt.endTimer = null;
        return this.on.groupExpired(s.id);
      });
    }
  }

  clear(rt: Runtime): void {
    if (rt.turnTimer) this.clock.clearTimeout(rt.turnTimer.handle);
    if (rt.endTimer) this.clock.clearTimeout(rt.endTimer);
    if (rt.leaseTimer) this.clock.clearTimeout(rt.leaseTimer.handle);
    rt.turnTimer = null;
    rt.endTimer = null;
    rt.leaseTimer = null;
  }

  /** Task leases run while the group is open, paused or not: tasks are not turns. */
  private syncLease(rt: Runtime): void {
    const s = rt.state;
    const next = s.status === 'ended' ? null : nextLeaseExpiry(s.tasks);
    const key = next === null ? null : String(next);
    if (rt.leaseTimer && rt.leaseTimer.key !== key) {
      this.clock.clearTimeout(rt.leaseTimer.handle);
      rt.leaseTimer = null;
    }
    if (next === null || !key || rt.leaseTimer) return;
    const handle = this.arm(next, () => {
      rt.leaseTimer = null;
      return this.on.leasesExpired(s.id);
    });
    rt.leaseTimer = { key, handle };
  }

  private arm(at: number, fn: () => Promise<void>): TimerHandle {
    const handle = this.clock.setTimeout(
      () => {
        fn().catch((err) => this.log.error({ err }, 'group timer failed'));
      },
      Math.max(0, at - this.clock.now()),
    );
    handle.unref?.();
    return handle;
  }
}
