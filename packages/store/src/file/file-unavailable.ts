import { HubError } from '@agent-hub/protocol';
import { reportingUnavailable } from '../store-unavailable.ts';

// File-system failures that mean "cannot store anything right now", not a bug in the request.
const UNAVAILABLE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EMFILE', 'ENFILE', 'EACCES', 'EPERM', 'ENOENT']);

/** Maps a file-system failure to STORE_UNAVAILABLE; anything else is returned unchanged. */
export function toFileStoreError(err: unknown): unknown {
  if (err instanceof HubError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string' || !UNAVAILABLE_CODES.has(code)) return err;
  return new HubError('STORE_UNAVAILABLE', 'the store is unavailable', { cause: (err as Error).message });
}

/**
 * Wraps a store part like `reportingUnavailable`, translating file-system failures first, so
 * callers see STORE_UNAVAILABLE for a closed store or a failing disk and domain errors unchanged.
 */
export function reportingFileUnavailable<T extends object>(target: T, isClosed: () => boolean): T {
  const translated = new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => unknown).apply(obj, args);
        } catch (err) {
          throw toFileStoreError(err);
        }
      };
    },
  });
  return reportingUnavailable(translated, isClosed);
}
