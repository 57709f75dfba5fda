export { EventBus, topicRoom } from './event-bus.ts';
export type { Fanout, EventBusOptions, EventBusEvents, PublishInput } from './event-bus.ts';
export { EventBatcher, STORE_RETRY_MS } from './event-batcher.ts';
export { RecentIds } from './recent-ids.ts';
export { LocalOffsets } from './offset-allocator.ts';
export type { OffsetAllocator } from './offset-allocator.ts';
