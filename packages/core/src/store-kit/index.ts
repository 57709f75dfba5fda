/**
 * What every store adapter shares (the rules the port's contract asks of each, kept once, and the
 * closed/close shell), for the adapters package and core's own memory store; imported as
 * `@agent-hub/core/store-kit`, apart from the ports the hub uses.
 */
export { storeClosedError, refusingWhenClosed, StoreShell, type StoreShellParts } from './store-shell.ts';
export { jsonCopy } from './json-copy.ts';
export { applyStatus, newestFirst, transition, withStatus } from './dead-letter-status.ts';
export { eventQueryMatcher, readMatchingRows, topicMatcher, type EventRowHead } from './event-filter.ts';
export { parseTopicPattern, type TopicPattern } from './topic-pattern.ts';
export { freshEvents, offsetsOf } from './offsets-of.ts';
export { kvVersionConflict } from './kv-conflict.ts';
export {
  appendMessagesTo,
  applySessionPatch,
  countSessionsByState,
  earlierWriteIn,
  isInactiveIn,
  listSessionRecords,
  matchesSessionFilter,
  moveToState,
  newSessionRecord,
  replayedWrite,
  toSession,
  touchSession,
  writableRecord,
  type MessageWrite,
  type SessionRecord,
  type SessionRecordWithHistory,
} from './session-records.ts';
export { compareSessionsForListing, decodeSessionCursor, encodeSessionCursor, type SessionCursor } from './session-cursor.ts';
export { sessionNotFound, sessionWriteRefusal } from './session-write-refusal.ts';
export {
  byBytes,
  compareForListing,
  compareWrites,
  jsonEqual,
  keepsExisting,
  matchesCheckpointQuery,
  writeKey,
} from './checkpoint-order.ts';
export { CheckpointTable, type ThreadCheckpoints } from './checkpoint-table.ts';
