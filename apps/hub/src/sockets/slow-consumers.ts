import type { Server, Socket } from 'socket.io';
import { AGENTS_NAMESPACE } from '@agent-hub/protocol';
import type { HubContext } from '../context.ts';

const CHECK_EVERY_MS = 1000;

/**
 * An agent that does not read its socket makes the hub buffer every event for it until memory
 * runs out. Past `maxPackets` or `maxBytes` waiting to be written it is a slow consumer, not a
 * healthy agent (NATS and Centrifugo treat it the same way): its transport is closed, backlog
 * discarded — a retryable close, so it reconnects and resumes from its offset, replaying what it
 * missed. Bytes count too because one packet may carry many events (an `events` message).
 */
export function watchSlowConsumers(io: Server, ctx: HubContext, limits: { maxPackets: number; maxBytes: number }): { close(): void } {
  const nsp = io.of(AGENTS_NAMESPACE);
  const timer = setInterval(() => {
    for (const socket of nsp.sockets.values()) {
      const buffer = writeBufferOf(socket);
      if (!buffer?.length) continue;
      const bytes = buffer.length > limits.maxPackets ? 0 : bufferedBytes(buffer, limits.maxBytes);
      if (buffer.length <= limits.maxPackets && bytes <= limits.maxBytes) continue;
      socket.data.log?.warn({ waiting: buffer.length, bytes, ...limits }, 'slow consumer disconnected');
      ctx.metrics.slowConsumers.inc();
      // The backlog is discarded with the transport (a notice would queue behind it and never
      // arrive): the agent sees a retryable close, and the reason is in the hub's log and metric.
      socket.conn.close(true);
    }
  }, CHECK_EVERY_MS);
  timer.unref();
  return { close: () => clearInterval(timer) };
}

function writeBufferOf(socket: Socket): Array<{ data?: unknown }> | undefined {
  return (socket.conn as unknown as { writeBuffer?: Array<{ data?: unknown }> }).writeBuffer;
}

/** The packets' sizes (text in UTF-16 units, binary in bytes), counted until past `limit`. */
function bufferedBytes(buffer: Array<{ data?: unknown }>, limit: number): number {
  let bytes = 0;
  for (const p of buffer) {
    const d = p.data;
    if (typeof d === 'string') bytes += d.length;
    else if (d && typeof (d as ArrayBufferLike).byteLength === 'number') bytes += (d as ArrayBufferLike).byteLength;
    if (bytes > limit) break;
  }
  return bytes;
}
