/**
 * Socket.IO room names, built and parsed only here: an agent's connections (`agent:<id>`), a
 * group's members (`g:<groupId>`), and the subscribers of a topic pattern (`t:<pattern>`, built by
 * the event bus in core, which fans out by room).
 */
import { topicRoom } from '@agent-hub/core';

export { topicRoom };

/** Every connection of one agent on this node (one at a time; a newer one replaces the old). */
export const agentRoom = (agentId: string): string => `agent:${agentId}`;

/** The members of a group conversation. */
export const groupRoom = (groupId: string): string => `g:${groupId}`;

const TOPIC_PREFIX = topicRoom('');

/** The pattern a topic room stands for, or null for any other room. */
export function patternOfRoom(room: string): string | null {
  return room.startsWith(TOPIC_PREFIX) ? room.slice(TOPIC_PREFIX.length) : null;
}
