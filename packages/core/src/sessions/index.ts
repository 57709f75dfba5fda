export { SessionService } from './session-service.ts';
export type { Actor, AppendOutcome, SessionServiceDeps, SessionServiceEvents, WriteOptions } from './session-service.ts';
export { HistoryCache } from './history-cache.ts';
export { retryOnConflict, CONFLICT_RETRY } from './retry-on-conflict.ts';
export { LifecycleSweeper } from './lifecycle-sweeper.ts';
export type { LifecycleSettings } from './lifecycle-sweeper.ts';
export { WriteOutbox, OUTBOX_RETRY_MS } from './write-outbox.ts';
export type { QueuedWrite, JournaledWrite, OutboxJournal, OutboxSettings, OutboxState } from './write-outbox.ts';
export { messageIdsOf, earlierWriteOf } from './message-ids.ts';
