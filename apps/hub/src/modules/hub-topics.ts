import { HUB_TOPIC_PREFIX, type Priority, type PublishResult } from '@agent-hub/protocol';
import type { EventBus } from '@agent-hub/core';

export interface HubPublication {
  /** The topic without the hub prefix: `agent:<id>`, `group:<id>`. */
  topic: string;
  priority: Priority;
  payload: unknown;
}

/**
 * What the hub itself publishes goes on `$hub:<topic>`, where no agent may publish. While
 * LEGACY_HUB_TOPICS is on it is published on the old `<topic>` too (after the `$hub:` copy, so a
 * subscriber of both sees the new one first); the answer is the `$hub:` copy's.
 */
export function hubPublisher(bus: EventBus, legacyTopics: boolean): (e: HubPublication) => Promise<PublishResult> {
  return (e) => {
    const primary = bus.publish('hub', { ...e, topic: `${HUB_TOPIC_PREFIX}:${e.topic}` });
    if (!legacyTopics) return primary;
    const legacy = bus.publish('hub', e);
    return Promise.all([primary, legacy]).then(([p]) => p);
  };
}
