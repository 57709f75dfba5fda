import {
  DeleteCheckpointThread,
  GetCheckpoint,
  ListCheckpoints,
  PutCheckpoint,
  PutCheckpointWrites,
  type CheckpointPage,
} from '@agent-hub/protocol';
import type { CheckpointStore } from '@agent-hub/core';
import type { HubContext } from '../context.ts';
import type { HubModule } from '../module.ts';
import { request } from '../sockets/handler.ts';

/**
 * Graph checkpoints for agents (the LangGraph saver in @agent-hub/langgraph). They go straight to
 * the store's own checkpoint tables, not through sessions: no expiry, no session limit, and no
 * pause in degraded mode, because a run that cannot checkpoint cannot go on. A store outage
 * answers STORE_UNAVAILABLE, which the saver reports to the graph.
 */
export function checkpointsModule(ctx: HubContext): HubModule {
  const store: CheckpointStore = ctx.store.checkpoints;
  return {
    name: 'checkpoints',
    agentEvents: {
      'checkpoint:put': request(PutCheckpoint, async ({ input }) => {
        await store.putCheckpoint(input);
        return { threadId: input.threadId, namespace: input.namespace, id: input.id };
      }),
      'checkpoint:put-writes': request(PutCheckpointWrites, async ({ input }) => {
        await store.putCheckpointWrites(input.threadId, input.namespace, input.checkpointId, input.writes);
        return { stored: input.writes.length };
      }),
      'checkpoint:get': request(GetCheckpoint, ({ input }) => store.getCheckpoint(input.threadId, input.namespace, input.id)),
      'checkpoint:list': request(ListCheckpoints, async ({ input }): Promise<CheckpointPage> => {
        // One more than asked says whether there is a next page without a second query.
        const items = await store.listCheckpoints({ ...input, limit: input.limit + 1 });
        const page = items.slice(0, input.limit);
        const last = page.at(-1);
        const next = items.length > input.limit && last ? { id: last.id, threadId: last.threadId, namespace: last.namespace } : null;
        return { items: page, next };
      }),
      'checkpoint:delete-thread': request(DeleteCheckpointThread, async ({ input }) => ({
        deleted: await store.deleteCheckpointThread(input.threadId),
      })),
    },
  };
}
