import { HubError, LIMITS, type Ack } from '@agent-hub/protocol';
import type { Socket } from 'socket.io';
import type { z } from 'zod';
import type { Logger } from '@agent-hub/core';
import type { HubContext } from '../context.ts';
import { parseOrThrow, toErrorBody } from '../errors.ts';
import { packetBytes, payloadProblem } from './payload-limits.ts';

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
  socket.on(event, async (...args: unknown[]) => {
    const start = performance.now();
    // Socket.IO passes the acknowledgement last, after however many arguments the client sent:
    // `emit(event, ack)` has no payload, `emit(event, payload, extra, ack)` one too many.
    const ack = typeof args.at(-1) === 'function' ? args.pop() : undefined;
    const payload = args[0];
    if (typeof ack !== 'function') {
      reject(ctx, socket, 'VALIDATION_FAILED', `"${event}" needs an acknowledgement callback`);
      return;
    }
    const reply = ack as (a: Ack<R>) => void;
    let outcome = 'ok';
    try {
      if (args.length > 1)
        throw new HubError(
          'VALIDATION_FAILED',
          `"${event}" takes one payload argument and an acknowledgement; got ${args.length} arguments`,
        );
      checkSize(ctx, socket, payload);
      refuseBinary(payload);
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
      ctx.metrics.socketDuration.observe({ event, outcome }, (performance.now() - start) / 1000);
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
      refuseBinary(payload);
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
  const problem = payloadProblem(payload, LIMITS.nestingMax);
  if (problem) throw new HubError('VALIDATION_FAILED', problem);
  const limit = ctx.config.SOCKET_MAX_PAYLOAD_BYTES;
  const units = packetBytes(socket);
  const size = units * 3 <= limit ? units : Buffer.byteLength(JSON.stringify(payload) ?? '');
  if (size > limit) throw new HubError('PAYLOAD_TOO_LARGE', `payload is ${size} bytes; the limit is ${limit}`);
}

/**
 * Every socket payload is a JSON value. Socket.IO also carries binary (a Buffer arrives as one),
 * and an object schema would accept a Buffer as an object with no known fields — an empty
 * session, or a Buffer's own `offset` property read as an acked offset.
 */
function refuseBinary(payload: unknown): void {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return;
  const proto = Object.getPrototypeOf(payload);
  if (proto !== Object.prototype && proto !== null) {
    throw new HubError(
      'VALIDATION_FAILED',
      `payload must be a JSON object, not ${ArrayBuffer.isView(payload) || payload instanceof ArrayBuffer ? 'binary data' : (proto?.constructor?.name ?? 'an object with a prototype')}`,
    );
  }
}

/**
 * Answers events no handler is registered for, when they carry an acknowledgement: without it a
 * client waits for its own timeout. Installed once per socket, after every handler.
 */
export function answerUnknownEvents(ctx: HubContext, socket: Socket): void {
  socket.onAny((event: unknown, ...args: unknown[]) => {
    if (typeof event !== 'string' || socket.listeners(event).length > 0) return;
    const ack = args.at(-1);
    ctx.metrics.rejectedPayloads.inc({ transport: 'socket', code: 'NOT_FOUND' });
    const error = {
      code: 'NOT_FOUND' as const,
      message: `unknown event "${event.slice(0, 100)}"; see docs/protocol.md for the events this namespace takes`,
    };
    if (typeof ack === 'function') (ack as (a: unknown) => void)({ ok: false, error });
    else socket.emit('hub:error', error);
  });
}

function reject(ctx: HubContext, socket: Socket, code: string, message: string): void {
  ctx.metrics.rejectedPayloads.inc({ transport: 'socket', code });
  socket.emit('hub:error', { code, message });
}
