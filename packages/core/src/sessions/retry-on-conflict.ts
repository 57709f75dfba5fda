import { HubError } from '@agent-hub/protocol';
import type { Clock } from '../ports/clock.ts';

/** The schedule: 3 tries, 100 ms apart; then the last conflict is reported as it is. */
export const CONFLICT_RETRY = { attempts: 3, delayMs: 100 } as const;

export async function retryOnConflict<T>(clock: Clock, fn: () => Promise<T>, policy = CONFLICT_RETRY): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!HubError.is(err, 'SESSION_VERSION_CONFLICT') || attempt >= policy.attempts) throw err;
      await new Promise<void>((resolve) => clock.setTimeout(resolve, policy.delayMs));
    }
  }
}
