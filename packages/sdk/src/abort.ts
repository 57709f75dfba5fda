import { HubError } from '@agent-hub/protocol';

/**
 * Options every request-style method of the SDK takes.
 *
 * @example
 * const ac = new AbortController();
 * setTimeout(() => ac.abort(), 2000);
 * await client.sessions.get(id, true, { signal: ac.signal }); // rejects with HubError ABORTED
 */
export interface CallOptions {
  /**
   * Aborting rejects the call at once with `HubError` code `ABORTED` and releases what the call
   * held. A request already sent may still be carried out by the hub: the abort stops the waiting
   * (and any re-send), not the hub.
   */
  signal?: AbortSignal;
}

/** The typed error an aborted call rejects with. */
export function abortedError(what: string, signal?: AbortSignal): HubError {
  const reason = signal?.reason;
  return new HubError(
    'ABORTED',
    `"${what}" was aborted by the caller`,
    reason === undefined ? undefined : { reason: reason instanceof Error ? reason.message : String(reason) },
  );
}

/**
 * Settles as `work` does, or rejects with ABORTED as soon as `signal` aborts, whichever is first.
 * `onAbort` runs once, on abort, to give back what the call held (a window slot, a handler).
 */
export function withAbort<T>(work: Promise<T>, signal: AbortSignal | undefined, what: string, onAbort?: () => void): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    // The work is abandoned; its late outcome must not surface as an unhandled rejection.
    work.catch(() => undefined);
    onAbort?.();
    return Promise.reject(abortedError(what, signal));
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      work.catch(() => undefined);
      onAbort?.();
      reject(abortedError(what, signal));
    };
    signal.addEventListener('abort', abort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(err);
      },
    );
  });
}
