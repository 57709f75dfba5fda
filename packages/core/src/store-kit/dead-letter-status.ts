import { deadLetterConflict, deadLetterNotFound } from '../events/dead-letter-errors.ts';
import type { DeadLetterStatusChange } from '../ports/store.ts';
import type { DeadLetter, DeadLetterStatus } from '@agent-hub/protocol';

/** A letter stored before dead letters had a status is open. */
export function withStatus(d: Omit<DeadLetter, 'status' | 'resolvedBy' | 'resolvedAt'> & Partial<DeadLetter>): DeadLetter {
  return { ...d, status: d.status ?? 'open', resolvedBy: d.resolvedBy ?? null, resolvedAt: d.resolvedAt ?? null };
}

/** The letter with `change` applied; `at` normalised as a timestamptz column gives it back. */
export function applyStatus(d: DeadLetter, change: DeadLetterStatusChange): DeadLetter {
  const resolvedAt = change.at === null ? null : new Date(change.at).toISOString();
  return { ...d, status: change.status, resolvedBy: change.by, resolvedAt };
}

/** In-process compare-and-set over a map of letters (the memory and file adapters). */
export function transition(
  letters: Map<string, DeadLetter>,
  id: string,
  from: DeadLetterStatus,
  change: DeadLetterStatusChange,
): DeadLetter {
  const d = letters.get(id);
  if (!d) throw deadLetterNotFound(id);
  if (d.status !== from) throw deadLetterConflict(d, from);
  return applyStatus(d, change);
}

/** Newest first, then id descending (byte order), as every adapter lists them. */
export function newestFirst(letters: Iterable<DeadLetter>, limit: number, status?: DeadLetterStatus): DeadLetter[] {
  return [...letters]
    .filter((d) => status === undefined || d.status === status)
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .slice(0, Math.max(0, limit));
}
