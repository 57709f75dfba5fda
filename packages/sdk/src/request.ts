import { HubError, type Ack, type AgentRequestAnswer, type AgentRequestEvent, type AgentRequestPayload } from '@agent-hub/protocol';
import type { Socket } from 'socket.io-client';

/** Emits with an ack and a timeout; a typed error ack becomes a thrown HubError. */
export async function request<E extends AgentRequestEvent>(
  socket: Socket,
  event: E,
  payload: AgentRequestPayload<E>,
  timeoutMs: number,
): Promise<AgentRequestAnswer<E>> {
  let ack: Ack<AgentRequestAnswer<E>>;
  try {
    ack = (await socket.timeout(timeoutMs).emitWithAck(event, payload)) as Ack<AgentRequestAnswer<E>>;
  } catch (err) {
    throw new HubError('REQUEST_TIMEOUT', `no answer to "${event}" within ${timeoutMs} ms (hub unreachable?)`, {
      event,
      cause: err instanceof Error ? err.message : String(err),
    });
  }
  if (ack && ack.ok === true) return ack.data;
  if (ack && ack.ok === false) throw HubError.fromBody(ack.error);
  throw new HubError('INTERNAL', `malformed ack for "${event}"`);
}
