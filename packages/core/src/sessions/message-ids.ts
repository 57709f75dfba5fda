import { HubError } from '@agent-hub/protocol';

/** The ids a write's messages carry, in order; an id twice in one write is refused. */
export function messageIdsOf(messages: ReadonlyArray<{ id?: string }>): string[] {
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const m of messages) {
    if (m.id === undefined) continue;
    if (seen.has(m.id)) throw new HubError('VALIDATION_FAILED', `message id ${m.id} appears twice in one write`, { id: m.id });
    seen.add(m.id);
    ids.push(m.id);
  }
  return ids;
}

/**
 * Whether a write whose messages carry `ids` is new (undefined) or a retry of the earlier write
 * `storedBy` names for its ids (a version, a queue entry: any key). A retry repeats the ids of
 * one earlier write; new ids mixed with known ones, or ids of several writes, are neither, and
 * are refused rather than half applied.
 */
export function earlierWriteOf<K>(sessionId: string, ids: readonly string[], storedBy: (id: string) => K | undefined): K | undefined {
  let earlier: K | undefined;
  const known: string[] = [];
  for (const id of ids) {
    const key = storedBy(id);
    if (key === undefined) continue;
    if (known.length > 0 && key !== earlier) throw idConflict(sessionId, 'belong to different earlier writes', ids);
    earlier = key;
    known.push(id);
  }
  if (known.length === 0) return undefined;
  if (known.length < ids.length) throw idConflict(sessionId, `are partly taken already (${known.join(', ')})`, ids);
  return earlier;
}

function idConflict(sessionId: string, why: string, ids: readonly string[]): HubError {
  return new HubError(
    'SESSION_MESSAGE_ID_CONFLICT',
    `the message ids of this write ${why} in session ${sessionId}: a retry must repeat one earlier write exactly`,
    { sessionId, ids },
  );
}
