import { HubError, type SessionState } from '@agent-hub/protocol';

/**
 * Why a guarded session write changed nothing, judged from the row as it is now (null: gone).
 * Shared by every adapter so that they refuse with the same codes and details.
 */
export function sessionWriteRefusal(
  id: string,
  current: { version: number; state: SessionState | string } | null,
  allowExpired: boolean,
): HubError {
  if (!current) return new HubError('SESSION_NOT_FOUND', `session ${id} does not exist`, { id });
  if (current.state === 'expired' && !allowExpired) {
    return new HubError('SESSION_EXPIRED', `session ${id} has expired`, { id });
  }
  return new HubError('SESSION_VERSION_CONFLICT', `session ${id} is at version ${current.version}`, {
    currentVersion: current.version,
  });
}

export function sessionNotFound(id: string): HubError {
  return new HubError('SESSION_NOT_FOUND', `session ${id} does not exist`, { id });
}
