import {
  HubError,
  LIMITS,
  type Ack,
  type AgentClientEvents,
  type AgentRequestAnswer,
  type AgentRequestEvent,
  type AgentServerEvents,
} from '@agent-hub/protocol';
import type { DefaultEventsMap, Namespace, Socket } from 'socket.io';
import type { z } from 'zod';
import type { Logger } from '@agent-hub/core';
import type { HubContext } from '../context.ts';
import type { AgentCredential } from '../auth/agent-auth.ts';
import { parseOrThrow, toErrorBody } from '../errors.ts';
import { packetBytes, payloadProblem } from './payload-limits.ts';

/** What the hub keeps on an agent's connection (`socket.data`). */
export interface AgentSocketData {
  agentId: string;
  credential: AgentCredential;
  connectionId: string;
  correlationId: string;
  log: Logger;
  /** Protocol 3 or later: live events accepted together may come as one `events` message. */
  liveBatches?: boolean;
  /** Set once `agent:register` succeeded on this connection. */
  registered?: boolean;
  /** Bytes of the message being handled, as received (see payload-limits.ts). */
  packetBytes?: number;
}

/** Inter-node events (`serverSideEmit`), e.g. token revocations: not typed per event. */
type ServerSideEvents = DefaultEventsMap;

/** An agent's connection, typed with the protocol's event maps. */
export type AgentSocket = Socket<AgentClientEvents, AgentServerEvents, ServerSideEvents, AgentSocketData>;
export type AgentNamespace = Namespace<AgentClientEvents, AgentServerEvents, ServerSideEvents, AgentSocketData>;

export interface AgentCall<T> {
  socket: AgentSocket;
  agentId: string;
  input: T;
  log: Logger;
}

/** An acked event: validated, answered `{ok: true, data}` or `{ok: false, error}`. */
export interface RequestHandler<R> {
  readonly kind: 'request';
  readonly schema: z.ZodType;
  /** A cheaper reading of a well-formed payload, for a hot path; undefined falls back to `schema`. */
  readonly read?: (payload: unknown) => unknown;
  readonly requireRegistered: boolean;
  readonly handle: (call: AgentCall<never>) => Promise<R> | R;
}

/** A fire-and-forget event: validated; errors go back as `hub:error`. */
export interface SignalHandler {
  readonly kind: 'signal';
  readonly schema: z.ZodType;
  /** As RequestHandler's. */
  readonly read?: (payload: unknown) => unknown;
  readonly handle: (call: AgentCall<never>) => Promise<void> | void;
}

/**
 * Every agent event's handler, keyed by the protocol's event names (`AgentClientEvents`): the one
 * place to find what answers an event. A request's answer must be the protocol's ack type.
 */
export type AgentEventTable = {
  readonly [E in keyof AgentClientEvents]?: E extends AgentRequestEvent ? RequestHandler<AgentRequestAnswer<E>> : SignalHandler;
};

/** A request handler for the table: `schema` checks the payload, `handle` computes the ack's data. */
export function request<S extends z.ZodType, R>(
  schema: S,
  handle: (call: AgentCall<z.infer<S>>) => Promise<R> | R,
  opts: { requireRegistered?: boolean; read?: (payload: unknown) => z.infer<S> | undefined } = {},
): RequestHandler<R> {
  return {
    kind: 'request',
    schema,
    read: opts.read,
    requireRegistered: opts.requireRegistered !== false,
    handle: handle as RequestHandler<R>['handle'],
  };
}

/** A signal handler for the table (events the protocol sends without an ack). */
export function signal<S extends z.ZodType>(
  schema: S,
  handle: (call: AgentCall<z.infer<S>>) => Promise<void> | void,
  opts: { read?: (payload: unknown) => z.infer<S> | undefined } = {},
): SignalHandler {
  return { kind: 'signal', schema, read: opts.read, handle: handle as SignalHandler['handle'] };
}

type AnyHandler = RequestHandler<unknown> | SignalHandler;

/** The modules' tables merged into one lookup; an event claimed twice is a wiring bug. */
export function mergeEventTables(tables: AgentEventTable[]): ReadonlyMap<string, AnyHandler> {
  const merged = new Map<string, AnyHandler>();
  for (const table of tables) {
    for (const [event, handler] of Object.entries(table) as Array<[string, AnyHandler | undefined]>) {
      if (!handler) continue;
      if (merged.has(event)) throw new Error(`two handlers for agent event "${event}"`);
      merged.set(event, handler);
    }
  }
  return merged;
}

/**
 * Serves one connection from the merged table: a single listener per socket (no closures per
 * event and connection), and events nobody handles are answered `NOT_FOUND` instead of leaving
 * the client to its timeout.
 */
export function serveAgentEvents(ctx: HubContext, socket: AgentSocket, table: ReadonlyMap<string, AnyHandler>): void {
  socket.onAny((event: unknown, ...args: unknown[]) => {
    const handler = typeof event === 'string' ? table.get(event) : undefined;
    if (!handler) return answerUnknown(ctx, socket, event, args);
    if (handler.kind === 'request') void runRequest(ctx, socket, event as string, handler, args);
    else void runSignal(ctx, socket, event as string, handler, args[0]);
  });
}

async function runRequest(ctx: HubContext, socket: AgentSocket, event: string, handler: RequestHandler<unknown>, args: unknown[]) {
  const start = performance.now();
  // Socket.IO passes the acknowledgement last, after however many arguments the client sent:
  // `emit(event, ack)` has no payload, `emit(event, payload, extra, ack)` one too many.
  const last = args.at(-1);
  const ack = typeof last === 'function' ? (last as (a: Ack<unknown>) => void) : undefined;
  const payloads = ack ? args.length - 1 : args.length;
  if (!ack) {
    reject(ctx, socket, 'VALIDATION_FAILED', `"${event}" needs an acknowledgement callback`);
    return;
  }
  const log = socket.data.log;
  let outcome = 'ok';
  try {
    if (payloads > 1)
      throw new HubError('VALIDATION_FAILED', `"${event}" takes one payload argument and an acknowledgement; got ${payloads} arguments`);
    const payload = args[0] === last ? undefined : args[0];
    checkSize(ctx, socket, payload);
    refuseBinary(payload);
    if (handler.requireRegistered && !socket.data.registered) {
      throw new HubError('AGENT_NOT_REGISTERED', `send "agent:register" before "${event}"`);
    }
    const input = (handler.read?.(payload) ?? parseOrThrow(handler.schema, payload)) as never;
    const data = await handler.handle({ socket, agentId: socket.data.agentId, input, log });
    ack({ ok: true, data });
  } catch (err) {
    const error = toErrorBody(err, log);
    outcome = error.code;
    if (error.code === 'VALIDATION_FAILED' || error.code === 'PAYLOAD_TOO_LARGE') {
      ctx.metrics.rejectedPayloads.inc({ transport: 'socket', code: error.code });
    }
    ack({ ok: false, error });
  } finally {
    ctx.metrics.socketDuration.observe({ event, outcome }, (performance.now() - start) / 1000);
  }
}

async function runSignal(ctx: HubContext, socket: AgentSocket, event: string, handler: SignalHandler, payload: unknown) {
  const log = socket.data.log;
  try {
    checkSize(ctx, socket, payload);
    refuseBinary(payload);
    if (!socket.data.registered) throw new HubError('AGENT_NOT_REGISTERED', `send "agent:register" before "${event}"`);
    const input = (handler.read?.(payload) ?? parseOrThrow(handler.schema, payload)) as never;
    await handler.handle({ socket, agentId: socket.data.agentId, input, log });
  } catch (err) {
    const body = toErrorBody(err, log);
    reject(ctx, socket, body.code, body.message);
  }
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
  const proto: unknown = Object.getPrototypeOf(payload);
  if (proto !== Object.prototype && proto !== null) {
    const name = (proto as { constructor?: { name?: string } }).constructor?.name;
    throw new HubError(
      'VALIDATION_FAILED',
      `payload must be a JSON object, not ${ArrayBuffer.isView(payload) || payload instanceof ArrayBuffer ? 'binary data' : (name ?? 'an object with a prototype')}`,
    );
  }
}

/** An event no handler is registered for: answered through its ack if it has one, else `hub:error`. */
function answerUnknown(ctx: HubContext, socket: AgentSocket, event: unknown, args: unknown[]): void {
  const ack = args.at(-1);
  ctx.metrics.rejectedPayloads.inc({ transport: 'socket', code: 'NOT_FOUND' });
  const error = {
    code: 'NOT_FOUND' as const,
    message: `unknown event "${String(event).slice(0, 100)}"; see docs/protocol.md for the events this namespace takes`,
  };
  if (typeof ack === 'function') (ack as (a: unknown) => void)({ ok: false, error });
  else socket.emit('hub:error', error);
}

function reject(ctx: HubContext, socket: AgentSocket, code: string, message: string): void {
  ctx.metrics.rejectedPayloads.inc({ transport: 'socket', code });
  socket.emit('hub:error', { code, message });
}
