import type { AgentStore, CheckpointStore, EventLog, KeyValueStore, SessionStore } from '@agent-hub/core';
import { HubError, isErrorCode } from '@agent-hub/protocol';

/**
 * The methods the PGlite worker answers, per part of the store port. Typed as records over the
 * port's keys so that a method added to a port and not forwarded here is a compile error.
 */
export const FORWARDED = {
  sessions: methods<SessionStore>({
    createSession: true,
    getSession: true,
    getMessages: true,
    listSessions: true,
    updateSession: true,
    appendMessages: true,
    deleteSession: true,
    sweepSessions: true,
    purgeExpired: true,
    countByState: true,
  }),
  events: methods<EventLog>({
    appendEvents: true,
    maxOffset: true,
    hasEvent: true,
    offsetsOf: true,
    readEvents: true,
    deleteEventsBefore: true,
    getAgentOffset: true,
    setAgentOffset: true,
    addDeadLetter: true,
    listDeadLetters: true,
    getDeadLetter: true,
    setDeadLetterStatus: true,
  }),
  agents: methods<AgentStore>({ upsertAgent: true, upsertAgents: true, getAgent: true, listAgents: true }),
  kv: methods<KeyValueStore>({ getValue: true, putValue: true, deleteValue: true, listKeys: true }),
  checkpoints: methods<CheckpointStore>({
    putCheckpoint: true,
    putCheckpointWrites: true,
    getCheckpoint: true,
    listCheckpoints: true,
    deleteCheckpointThread: true,
  }),
  // `resetTables` empties every table: tests and benches share one worker and start each case empty.
  store: { ping: true, close: true, resetTables: true },
} as const;

function methods<Port>(names: Record<keyof Port, true>): Record<keyof Port, true> {
  return names;
}

export type StorePart = keyof typeof FORWARDED;

/** One call of one port method: one message, so a batch of 500 events is one structured clone. */
export interface StoreCall {
  id: number;
  part: StorePart;
  method: string;
  args: unknown[];
}

/** A HubError keeps its code and details across the thread boundary; anything else its message. */
export type WireError =
  { kind: 'hub'; code: string; message: string; details?: unknown } | { kind: 'error'; name: string; message: string };

export type StoreReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

/** What the worker says once, after opening the database or failing to. */
export type WorkerStatus = { ready: true } | { ready: false; error: WireError };

export function isForwarded(part: unknown, method: unknown): part is StorePart {
  if (typeof part !== 'string' || typeof method !== 'string' || !Object.hasOwn(FORWARDED, part)) return false;
  return Object.hasOwn(FORWARDED[part as StorePart], method);
}

export function toWireError(err: unknown): WireError {
  if (err instanceof HubError) return { kind: 'hub', code: err.code, message: err.message, details: err.details };
  if (err instanceof Error) return { kind: 'error', name: err.name, message: err.message };
  return { kind: 'error', name: 'Error', message: String(err) };
}

export function fromWireError(wire: WireError): Error {
  if (wire.kind === 'hub' && isErrorCode(wire.code)) return new HubError(wire.code, wire.message, wire.details);
  const err = new Error(wire.message);
  if (wire.kind === 'error') err.name = wire.name;
  return err;
}
