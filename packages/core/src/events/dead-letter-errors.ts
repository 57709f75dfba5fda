import { HubError, type DeadLetter, type DeadLetterStatus } from '@agent-hub/protocol';

/** The typed errors of the dead-letter status port (every store adapter and the hub use these). */
export function deadLetterNotFound(id: string): HubError {
  return new HubError('DEAD_LETTER_NOT_FOUND', `no dead letter ${id}`);
}

/** A status change based on a status the letter is not in (already retried or discarded). */
export function deadLetterConflict(d: DeadLetter, expected: DeadLetterStatus): HubError {
  return new HubError('DEAD_LETTER_RESOLVED', `dead letter ${d.id} is ${d.status}, not ${expected}`, {
    status: d.status,
    resolvedBy: d.resolvedBy,
    resolvedAt: d.resolvedAt,
  });
}
