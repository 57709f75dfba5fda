import { HubError, type Session } from '@agent-hub/protocol';
import type { Clock } from '../ports/clock.ts';
import type { SessionStore } from '../ports/store.ts';
import { settleWithin } from '../store-outage/deadline.ts';
import { LruMap } from './lru-map.ts';
import type { WriteOutbox } from './write-outbox.ts';

/** Who is asking: operators see everything, an agent only the sessions it is a member of. */
export type Actor = { kind: 'operator' } | { kind: 'agent'; id: string };

export interface SessionAccessDeps {
  store: SessionStore;
  clock: Clock;
  outbox?: WriteOutbox;
  /** Sessions whose members are remembered (at least 1,000). */
  capacity: number;
  queueAfterMs: number;
}

/**
 * Membership checks, with the members of recently seen sessions remembered so that an agent's
 * write can still be queued while the store is down (and is not held up by a silent one).
 */
export class SessionAccess {
  private readonly members: LruMap<string, string[]>;

  constructor(private readonly d: SessionAccessDeps) {
    this.members = new LruMap(Math.max(1000, d.capacity));
  }

  /** Throws SESSION_NOT_MEMBER unless the actor may use this session; remembers its members. */
  check(actor: Actor, session: Session): void {
    this.remember(session.id, session.members);
    if (actor.kind === 'agent' && !session.members.includes(actor.id)) {
      throw new HubError('SESSION_NOT_MEMBER', `agent ${actor.id} is not a member of session ${session.id}`);
    }
  }

  remember(id: string, members: string[]): void {
    this.members.set(id, members);
  }

  /**
   * Reads the session and checks the actor. For a write the outbox could take (`queueable`), a
   * store known to be down (or, with `bounded`, silent for `queueAfterMs` and to a ping) does not
   * hold the write up when the agent's membership was seen recently: the answer is then
   * 'store-silent', and the write goes straight to the outbox rather than wait on the store again.
   */
  async checkById(
    actor: Actor,
    id: string,
    how: { queueable: boolean; bounded: boolean } = { queueable: false, bounded: false },
  ): Promise<'ok' | 'store-silent'> {
    if (actor.kind === 'operator') return 'ok';
    const known = how.queueable && this.d.outbox !== undefined && this.members.get(id)?.includes(actor.id) === true;
    if (known && this.d.outbox?.failing) return 'store-silent';
    let session: Session | null;
    try {
      const read = this.d.store.getSession(id);
      if (!(known && how.bounded)) session = await read;
      else {
        const answer = await settleWithin(this.d.clock, this.d.queueAfterMs, read);
        if (answer.settled) session = answer.value;
        else if (await this.d.outbox!.storeAnswers()) session = await read;
        else return 'store-silent';
      }
    } catch (err) {
      if (HubError.is(err, 'STORE_UNAVAILABLE') && known) return 'store-silent';
      throw err;
    }
    if (!session) throw new HubError('SESSION_NOT_FOUND', `no session ${id}`);
    this.check(actor, session);
    return 'ok';
  }
}
