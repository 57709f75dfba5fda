import { describe, expect, it } from 'vitest';
import { roomsForTopic } from './event-bus.ts';

describe('roomsForTopic', () => {
  it("lists the room of every pattern that matches the topic, and the hub's own topics stay out of #", () => {
    expect([...roomsForTopic('orders:eu:created')].sort()).toEqual(
      ['t:orders:eu:created', 't:#', 't:orders:#', 't:orders:eu:#', 't:orders:eu:*'].sort(),
    );
    expect([...roomsForTopic('solo')].sort()).toEqual(['t:solo', 't:#'].sort());
    expect([...roomsForTopic('$hub:audit')].sort()).toEqual(['t:$hub:audit', 't:$hub:#', 't:$hub:*'].sort());
  });

  it('makes the list once per topic and shares it, frozen, so no caller can change it for the next event', () => {
    const first = roomsForTopic('a:b');
    expect(roomsForTopic('a:b')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => (first as string[]).push('t:x')).toThrow(TypeError);
  });

  it('stays right past the number of topics it keeps', () => {
    for (let i = 0; i < 10_000; i++) expect(roomsForTopic(`many:${i}`)[0]).toBe(`t:many:${i}`);
    expect([...roomsForTopic('a:b')].sort()).toEqual(['t:a:b', 't:#', 't:a:#', 't:a:*'].sort());
  });
});
