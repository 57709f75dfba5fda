import { HubError } from '@agent-hub/protocol';

// File-system failures that mean "cannot store anything right now", not a bug in the request.
const UNAVAILABLE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EMFILE', 'ENFILE', 'EACCES', 'EPERM', 'ENOENT']);

/**
 * Maps a file-system failure to STORE_UNAVAILABLE; anything else is returned unchanged. The file
 * store passes it to the store shell as its translate hook.
 */
export function toFileStoreError(err: unknown): unknown {
  if (err instanceof HubError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string' || !UNAVAILABLE_CODES.has(code)) return err;
  return new HubError('STORE_UNAVAILABLE', 'the store is unavailable', { cause: (err as Error).message });
}
