import { HubError, LIMITS, type Ack } from '@agent-hub/protocol';
import type { Socket } from 'socket.io';
import type { z } from 'zod';
import type { Logger } from '@agent-hub/core';
import type { HubContext } from '../context.ts';
import { parseOrThrow, toErrorBody } from '../errors.ts';
import { nestsDeeperThan, packetBytes } from './payload-limits.ts';

export interface SocketCall<T> {
  socket: Socket;
  input: T;
  log: Logger;
}

/**
 * Registers a validated, acked socket event: size cap, schema check, typed error ack. A handler
 * that throws never takes the connection down; the client gets `{ ok: false, error }`.
 */
export function onCall<S extends z.ZodType, R>(
  ctx: HubContext,
  socket: Socket,
  event: string,
  schema: S,
  fn: (call: SocketCall<z.infer<S>>) => Promise<R> | R,
  opts: { requireRegistered?: boolean } = {},
): void {
  const log: Logger = socket.data.log;
  socket.on(event, async (payload: unknown, ack?: unknown) => {
    const start = performance.now();
    if (typeof ack !== 'function') {
      reject(ctx, socket, 'VALIDATION_FAILED', `"${event}" needs an acknowledgement callback`);
      return;
    }
    const reply = ack as (a: Ack<R>) => void;
    let outcome = 'ok';
    try {
      checkSize(ctx, socket, payload);
      if (opts.requireRegistered !== false && !socket.data.registered) {
        throw new HubError('AGENT_NOT_REGISTERED', `send "agent:register" before "${event}"`);
      }
      const input = parseOrThrow(schema, payload);
      const data = await fn({ socket, input, log });
      reply({ ok: true, data });
    } catch (err) {
      const error = toErrorBody(err, log);
      outcome = error.code;
      if (error.code === 'VALIDATION_FAILED' || error.code === 'PAYLOAD_TOO_LARGE') {
        ctx.metrics.rejectedPayloads.inc({ transport: 'socket', code: error.code });
      }
      reply({ ok: false, error });
    } finally {
      ctx.metrics.socketDuration.observe({ event, outcome }, performance.now() - start);
    }
  });
}

/** The same checks for events that take no ack (fire-and-forget): errors go back as `hub:error`. */
export function onSignal<S extends z.ZodType>(
  ctx: HubContext,
  socket: Socket,
  event: string,
  schema: S,
  fn: (call: SocketCall<z.infer<S>>) => Promise<void> | void,
): void {
  const log: Logger = socket.data.log;
  socket.on(event, async (payload: unknown) => {
    try {
      checkSize(ctx, socket, payload);
      if (!socket.data.registered) throw new HubError('AGENT_NOT_REGISTERED', `send "agent:register" before "${event}"`);
      await fn({ socket, input: parseOrThrow(schema, payload), log });
    } catch (err) {
      const body = toErrorBody(err, log);
      reject(ctx, socket, body.code, body.message);
    }
  });
}

function checkSize(ctx: HubContext, socket: Socket, payload: unknown): void {
  // Socket.IO's own cap (maxHttpBufferSize) closes the connection; this softer one answers with a
  // code. The frame's length in UTF-16 units undercounts multi-byte text by at most 3x, so only a
  // frame that could be over the limit is measured exactly.
  if (nestsDeeperThan(payload, LIMITS.nestingMax)) {
    throw new HubError('VALIDATION_FAILED', `payload nests deeper than ${LIMITS.nestingMax} levels`);
  }
  const limit = ctx.config.SOCKET_MAX_PAYLOAD_BYTES;
  const units = packetBytes(socket);
  const size = units * 3 <= limit ? units : Buffer.byteLength(JSON.stringify(payload) ?? '');
  if (size > limit) throw new HubError('PAYLOAD_TOO_LARGE', `payload is ${size} bytes; the limit is ${limit}`);
}

function reject(ctx: HubContext, socket: Socket, code: string, message: string): void {
  ctx.metrics.rejectedPayloads.inc({ transport: 'socket', code });
  socket.emit('hub:error', { code, message });
}
