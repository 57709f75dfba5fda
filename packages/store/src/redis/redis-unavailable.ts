import { HubError } from '@agent-hub/protocol';
import { toStoreError } from '../store-unavailable.ts';

// ioredis reports a lost or missing connection by message, not by code; the reply prefixes are
// a server that cannot serve right now (loading its data, busy with a script, failing over, full).
const UNAVAILABLE_MESSAGES = [
  /Connection is closed/,
  /Stream isn't writeable/,
  /Command timed out/,
  /max retries per request/i,
  /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|OOM)\b/,
];

/**
 * Maps an ioredis connection or server failure to STORE_UNAVAILABLE; anything else unchanged. The
 * Redis store passes it to the store shell as its translate hook.
 */
export function toRedisStoreError(err: unknown, lastConnectionError?: Error): unknown {
  const mapped = toStoreError(err);
  if (mapped !== err) return mapped;
  if (!(err instanceof Error) || !UNAVAILABLE_MESSAGES.some((m) => m.test(err.message))) return err;
  // "Connection is closed." says little; the socket error before it says why.
  const cause = lastConnectionError ? `${err.message} (${lastConnectionError.message})` : err.message;
  return new HubError('STORE_UNAVAILABLE', 'the store is unavailable', { cause });
}
