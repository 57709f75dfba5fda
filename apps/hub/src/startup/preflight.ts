import type { HubConfig } from '../config.ts';
import { checkDataDir } from './data-dir-check.ts';
import { checkPortFree, checkReachable } from './reachability-check.ts';

/**
 * Checks each setting the hub cannot start without, before anything is opened, so that a wrong
 * one is named in one line instead of surfacing later as a stack trace or a silent retry loop.
 */
export async function preflight(config: HubConfig): Promise<void> {
  await Promise.all([
    // Always: besides an embedded store and the secrets, it holds the session outbox journal.
    checkDataDir(config.DATA_DIR),
    checkPortFree(config.HOST, config.PORT),
    config.DATABASE_URL && config.storeKind === 'postgres' ? checkReachable('DATABASE_URL', config.DATABASE_URL, 5432) : Promise.resolve(),
    config.REDIS_URL ? checkReachable('REDIS_URL', config.REDIS_URL, 6379) : Promise.resolve(),
  ]);
}
