import type { Server, Socket } from 'socket.io';
import { AGENTS_NAMESPACE } from '@agent-hub/protocol';
import type { HubContext } from '../context.ts';

const CHECK_EVERY_MS = 1000;

/**
 * An agent that does not read its socket makes the hub buffer every event for it until memory
 * runs out. Past `maxPackets` waiting to be written it is a slow consumer, not a healthy agent
 * (NATS and Centrifugo treat it the same way): its transport is closed, backlog discarded — a
 * retryable close, so it reconnects and resumes from its offset, replaying what it missed.
 */
export function watchSlowConsumers(io: Server, ctx: HubContext, maxPackets: number): { close(): void } {
  const nsp = io.of(AGENTS_NAMESPACE);
  const timer = setInterval(() => {
    for (const socket of nsp.sockets.values()) {
      const waiting = bufferedPackets(socket);
      if (waiting <= maxPackets) continue;
      socket.data.log?.warn({ waiting, maxPackets }, 'slow consumer disconnected');
      ctx.metrics.slowConsumers.inc();
      // The backlog is discarded with the transport (a notice would queue behind it and never
      // arrive): the agent sees a retryable close, and the reason is in the hub's log and metric.
      socket.conn.close(true);
    }
  }, CHECK_EVERY_MS);
  timer.unref();
  return { close: () => clearInterval(timer) };
}

function bufferedPackets(socket: Socket): number {
  return (socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer?.length ?? 0;
}
