import type { Hono } from 'hono';
import type { Namespace } from 'socket.io';
import {
  DeadLetterQuery,
  EventId,
  HubError,
  isErrorCode,
  ResolveDeadLetter,
  type Ack,
  type Redelivery,
  type RedeliveryReceipt,
} from '@agent-hub/protocol';
import type { DeadLetterActions, EventLog, Redeliverer } from '@agent-hub/core';
import type { HttpEnv } from '../http/env.ts';
import { optionalBody, queryOf } from '../http/body.ts';
import { parseOrThrow } from '../errors.ts';
import { agentRoom } from '../sockets/rooms.ts';

/** No body, or one without `by`: the operator token names nobody, so the label is generic. */
const DEFAULT_ACTOR = 'operator';
const ResolveBody = ResolveDeadLetter.optional();

/** `GET /api/deadletters` (with a status filter) and the operator's retry and discard. */
export function mountDeadLetterRoutes(api: Hono<HttpEnv>, log: EventLog, actions: DeadLetterActions): void {
  api.get('/deadletters', async (c) => {
    const q = queryOf(c, DeadLetterQuery);
    return c.json({ items: await log.listDeadLetters(q.limit, { status: q.status }) });
  });
  api.post('/deadletters/:id/retry', async (c) => {
    const id = parseOrThrow(EventId, c.req.param('id'));
    const body = await optionalBody(c, ResolveBody);
    return c.json(await actions.retry(id, body?.by ?? DEFAULT_ACTOR));
  });
  api.post('/deadletters/:id/discard', async (c) => {
    const id = parseOrThrow(EventId, c.req.param('id'));
    const body = await optionalBody(c, ResolveBody);
    return c.json(await actions.discard(id, body?.by ?? DEFAULT_ACTOR));
  });
}

/**
 * Redelivery over Socket.IO: `event:redeliver` to the agent's room (its connection on whichever
 * node, through the adapter) with an acknowledgement, so the hub knows the agent took it.
 */
export function socketRedeliverer(agents: Namespace, timeoutMs: number): Redeliverer {
  return {
    redeliver(agentId: string, redelivery: Redelivery): Promise<RedeliveryReceipt> {
      return new Promise((resolve, reject) => {
        agents
          .to(agentRoom(agentId))
          .timeout(timeoutMs)
          .emit('event:redeliver', redelivery, (err: Error | null, answers: Array<Ack<RedeliveryReceipt>>) => {
            const taken = answers.find((a) => a?.ok && a.data.handlers > 0);
            if (taken?.ok) return resolve(taken.data);
            const refused = answers.find((a) => a && !a.ok);
            if (refused && !refused.ok) {
              const code = isErrorCode(refused.error.code) ? refused.error.code : 'AGENT_NOT_SUBSCRIBED';
              return reject(new HubError(code, `agent ${agentId} refused the redelivery: ${refused.error.message}`));
            }
            if (answers.length > 0) {
              return reject(new HubError('AGENT_NOT_SUBSCRIBED', `agent ${agentId} has no handler for ${redelivery.event.topic} any more`));
            }
            // Nobody answered: with no connection the broadcast completes at once, without an error.
            if (err)
              return reject(new HubError('REQUEST_TIMEOUT', `agent ${agentId} did not confirm the redelivery within ${timeoutMs} ms`));
            reject(new HubError('AGENT_OFFLINE', `agent ${agentId} is not connected; retry once it is`));
          });
      });
    },
  };
}
