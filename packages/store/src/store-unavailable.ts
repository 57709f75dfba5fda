import { storeClosedError } from '@agent-hub/core/store-kit';
import { HubError } from '@agent-hub/protocol';

// Socket-level and postgres.js client codes that mean "the database cannot be reached".
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

// SQLSTATE classes of a server that cannot serve us right now: 08 connection exception,
// 53 insufficient resources, 57P01..57P05 shutdown/crash/idle timeout, 58 system error.
const UNAVAILABLE_SQLSTATE = /^(08|53|58)|^57P0/;

const CLOSED_MESSAGES = ['PGlite is closed'];

/** Every error reachable through `cause` and AggregateError `errors`, outermost first. */
function* errorChain(err: unknown, depth = 0): Generator<unknown> {
  if (err === null || err === undefined || depth > 8) return;
  yield err;
  if (typeof err !== 'object') return;
  const e = err as { cause?: unknown; errors?: unknown };
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* errorChain(inner, depth + 1);
  yield* errorChain(e.cause, depth + 1);
}

/** The driver error that says the backend is unreachable or failing, if this is one. */
function backendFailure(err: unknown): Error | null {
  for (const e of errorChain(err)) {
    if (!(e instanceof Error)) continue;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return e;
    if (CLOSED_MESSAGES.some((m) => e.message.includes(m))) return e;
  }
  return null;
}

/** Maps a driver's connection failure to STORE_UNAVAILABLE; anything else is returned unchanged. */
export function toStoreError(err: unknown): unknown {
  if (err instanceof HubError) return err;
  const failure = backendFailure(err);
  if (!failure) return err;
  return new HubError('STORE_UNAVAILABLE', 'the store is unavailable', { cause: failure.message });
}

export { storeClosedError };

/** The shell's translate hook for an adapter: its own backend's failures first, then the drivers'. */
export function withDriverErrors(translate: (err: unknown) => unknown = (err) => err): (err: unknown) => unknown {
  return (err) => toStoreError(translate(err));
}
