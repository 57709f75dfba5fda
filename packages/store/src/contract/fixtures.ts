import { randomUUID } from 'node:crypto';
import type { NewMessageRecord, Store } from '@agent-hub/core';
import { HubError, type ErrorCode, type HubEvent, type Priority, type Session } from '@agent-hub/protocol';
import { expect } from 'vitest';

/** A fixed epoch (2030-01-01) so that every time in the suite is explicit. */
export const T0 = Date.UTC(2030, 0, 1);
export const iso = (ms: number) => new Date(ms).toISOString();

export function message(content: string, overrides: Partial<NewMessageRecord> = {}): NewMessageRecord {
  return { role: 'agent', author: 'writer', content, metadata: {}, ...overrides };
}

export interface SessionSeed {
  members?: string[];
  metadata?: Record<string, unknown>;
  at?: number;
  messages?: NewMessageRecord[];
}

export function newSession(store: Store, seed: SessionSeed = {}): Promise<Session> {
  const { members = ['alpha'], metadata = {}, at = T0, messages = [] } = seed;
  return store.sessions.createSession({ id: randomUUID(), members, metadata, at }, messages);
}

export function event(
  offset: number,
  topic: string,
  opts: { id?: string; priority?: Priority; at?: number; payload?: unknown } = {},
): HubEvent {
  return {
    id: opts.id ?? `ev-${offset}`,
    offset,
    topic,
    priority: opts.priority ?? 'normal',
    ts: iso(opts.at ?? T0 + offset * 1000),
    publisher: 'publisher-1',
    payload: 'payload' in opts ? opts.payload : { n: offset },
  };
}

/** Awaits a promise that must reject with a HubError of `code`; returns the error for more checks. */
export async function rejection(promise: Promise<unknown>, code: ErrorCode): Promise<HubError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected a rejection with ${code}`).toBeInstanceOf(HubError);
  expect((err as HubError).code).toBe(code);
  return err as HubError;
}

export const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
