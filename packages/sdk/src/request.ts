import { HubError, type Ack } from '@agent-hub/protocol';
import type { Socket } from 'socket.io-client';

/** Emits with an ack and a timeout; a typed error ack becomes a thrown HubError. */
export async function request<T>(socket: Socket, event: string, payload: unknown, timeoutMs: number): Promise<T> {
  let ack: Ack<T>;
  try {
    ack = (await socket.timeout(timeoutMs).emitWithAck(event, payload)) as Ack<T>;
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
