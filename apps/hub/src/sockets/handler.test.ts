import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { mergeEventTables, request, signal } from './handler.ts';

describe('agent event tables', () => {
  const ping = request(z.object({}), () => ({ patterns: [] }));

  it('merges the modules’ tables into one lookup by event name', () => {
    const ack = signal(z.object({ offset: z.number() }), () => undefined);
    const merged = mergeEventTables([{ 'event:unsubscribe': ping }, { 'event:ack': ack }]);
    expect([...merged.keys()].sort()).toEqual(['event:ack', 'event:unsubscribe']);
    expect(merged.get('event:unsubscribe')).toBe(ping);
    expect(merged.get('event:ack')?.kind).toBe('signal');
  });

  it('refuses two handlers for one event: a wiring bug, found at start-up', () => {
    expect(() => mergeEventTables([{ 'event:unsubscribe': ping }, { 'event:unsubscribe': ping }])).toThrow(
      'two handlers for agent event "event:unsubscribe"',
    );
  });

  it('requires registration unless a handler opts out', () => {
    expect(ping.requireRegistered).toBe(true);
    expect(request(z.object({}), () => ({ expiresAt: null }), { requireRegistered: false }).requireRegistered).toBe(false);
  });
});
