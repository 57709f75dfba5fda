export { EventBus, roomsForTopic, topicRoom } from './event-bus.ts';
export type { Accepted, Fanout, EventBusOptions, EventBusEvents, PublishInput } from './event-bus.ts';
export { EventBatcher, STORE_RETRY_MS, type BatcherHooks, type BatcherOptions } from './event-batcher.ts';
export { ReservedOffsets, OFFSET_RESERVATION_KEY } from './reserved-offsets.ts';
export { RecentIds } from './recent-ids.ts';
export { LocalOffsets } from './offset-allocator.ts';
export type { OffsetAllocator } from './offset-allocator.ts';
export { DeadLetterActions, type DeadLetterActionsEvents, type DeadLetterActionsOptions, type Redeliverer } from './dead-letter-actions.ts';
export { deadLetterConflict, deadLetterNotFound } from './dead-letter-errors.ts';
