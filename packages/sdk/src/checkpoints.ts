import type {
  CheckpointPage,
  GetCheckpoint,
  ListCheckpoints,
  PutCheckpoint,
  PutCheckpointWrites,
  StoredCheckpoint,
} from '@agent-hub/protocol';
import type { CallOptions } from './abort.ts';
import type { AgentClient } from './agent-client.ts';

/** The hub's checkpoint store as an agent sees it (what the LangGraph saver is built on). */
export interface HubCheckpoints {
  put(p: PutCheckpoint, opts?: CallOptions): Promise<{ threadId: string; namespace: string; id: string }>;
  putWrites(p: PutCheckpointWrites, opts?: CallOptions): Promise<{ stored: number }>;
  get(p: GetCheckpoint, opts?: CallOptions): Promise<StoredCheckpoint | null>;
  list(q: ListCheckpoints, opts?: CallOptions): Promise<CheckpointPage>;
  deleteThread(threadId: string, opts?: CallOptions): Promise<{ deleted: number }>;
}

/**
 * Checkpoint calls over an agent's connection. Checkpoints live apart from sessions: they do not
 * expire, count against session limits or pause while the hub is degraded.
 *
 * @example
 * const cps = hubCheckpoints(client);
 * const latest = await cps.get({ threadId: 'run-42' });
 */
export function hubCheckpoints(client: AgentClient): HubCheckpoints {
  return {
    put: (p, opts) => client.call('checkpoint:put', p, opts),
    putWrites: (p, opts) => client.call('checkpoint:put-writes', p, opts),
    get: (p, opts) => client.call('checkpoint:get', p, opts),
    list: (q, opts) => client.call('checkpoint:list', q, opts),
    deleteThread: (threadId, opts) => client.call('checkpoint:delete-thread', { threadId }, opts),
  };
}
