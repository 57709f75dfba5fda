import type { Session } from '@agent-hub/protocol';
import type { NewSessionRecord } from '../ports/store.ts';

/** The session a store makes of a new record (version 1, no messages yet), for in-memory test stores. */
export function sessionFromRecord(rec: NewSessionRecord): Session {
  const at = new Date(rec.at).toISOString();
  return {
    id: rec.id,
    state: 'active',
    version: 1,
    members: [...rec.members],
    metadata: rec.metadata,
    agentState: {},
    messageCount: 0,
    createdAt: at,
    updatedAt: at,
    lastActivityAt: at,
  };
}
