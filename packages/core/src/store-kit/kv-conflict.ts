import { HubError } from '@agent-hub/protocol';

/** The refusal of a compare-and-set whose expected version is not the stored one (0: absent). */
export function kvVersionConflict(key: string, currentVersion: number): HubError {
  return new HubError('VERSION_CONFLICT', `${key} is at version ${currentVersion}`, { key, currentVersion });
}
