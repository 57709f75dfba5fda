import { HubError, type DeadLetter, type HubEvent, type Redelivery, type RedeliveryReceipt } from '@agent-hub/protocol';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { EventLog } from '../ports/store.ts';
import { TypedEmitter } from '../ports/typed-emitter.ts';
import { deadLetterConflict, deadLetterNotFound } from './dead-letter-errors.ts';

/**
 * Sends a dead-lettered event to the agent that gave up on it, marked as a redelivery so the
 * agent runs it past its dedupe. Resolves once the agent took it; rejects with HubError
 * AGENT_OFFLINE (no connection), AGENT_NOT_SUBSCRIBED (no handler for the topic any more) or
 * REQUEST_TIMEOUT (connected, but no answer in time).
 */
export interface Redeliverer {
  redeliver(agentId: string, redelivery: Redelivery): Promise<RedeliveryReceipt>;
}

export interface DeadLetterActionsOptions {
  log: EventLog;
  /** The stored (or still queued) event at `offset`, if it is still `id`. */
  eventAt(offset: number, id: string): Promise<HubEvent | undefined>;
  redeliverer: Redeliverer;
  clock: Clock;
  logger: Logger;
}

export interface DeadLetterActionsEvents {
  /** A letter's status changed for good (retried and delivered, or discarded). */
  changed: [DeadLetter];
}

/** An operator's retry or discard of a dead letter. */
export class DeadLetterActions extends TypedEmitter<DeadLetterActionsEvents> {
  constructor(private readonly o: DeadLetterActionsOptions) {
    super();
  }

  /**
   * Delivers the event again to the agent that dead-lettered it and marks the letter retried.
   * The letter is claimed (open → retried, compare-and-set) before anything is sent, so two
   * operators — on two nodes — never deliver it twice; a delivery that fails reopens it.
   */
  async retry(id: string, by: string): Promise<DeadLetter> {
    const letter = await this.open(id);
    const event = await this.o.eventAt(letter.offset, letter.eventId);
    if (!event) throw new HubError('EVENT_NOT_FOUND', `event ${letter.eventId} (offset ${letter.offset}) is no longer in the log`);
    const claimed = await this.o.log.setDeadLetterStatus(id, 'open', { status: 'retried', by, at: this.now() });
    try {
      await this.o.redeliverer.redeliver(letter.agentId, { deadLetterId: id, event });
    } catch (err) {
      await this.reopen(id);
      throw err;
    }
    this.emit('changed', claimed);
    return claimed;
  }

  async discard(id: string, by: string): Promise<DeadLetter> {
    await this.open(id);
    const discarded = await this.o.log.setDeadLetterStatus(id, 'open', { status: 'discarded', by, at: this.now() });
    this.emit('changed', discarded);
    return discarded;
  }

  private async open(id: string): Promise<DeadLetter> {
    const letter = await this.o.log.getDeadLetter(id);
    if (!letter) throw deadLetterNotFound(id);
    if (letter.status !== 'open') throw deadLetterConflict(letter, 'open');
    return letter;
  }

  private async reopen(id: string): Promise<void> {
    try {
      await this.o.log.setDeadLetterStatus(id, 'retried', { status: 'open', by: null, at: null });
    } catch (err) {
      // The letter stays `retried` although nothing was delivered; the operator sees it and the log says why.
      this.o.logger.warn({ err: String(err), deadLetterId: id }, 'dead letter not reopened after a failed retry');
    }
  }

  private now(): string {
    return new Date(this.o.clock.now()).toISOString();
  }
}
