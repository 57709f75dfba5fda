import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AppendMessages, Priority, ReplayPolicy } from '../packages/protocol/src/index.ts';

/** The scenario every client runs (docs/protocol.md, "Conformance"). */
export const SCENARIO_PATH = fileURLToPath(new URL('./scenario.json', import.meta.url));

/** One step as written in scenario.json (docs/protocol.md, "Conformance"). */
export type Step = StepLimits &
  (
    | { op: 'register'; agent: string; capabilities?: string[] }
    | { op: 'subscribe'; patterns: string[]; policy?: ReplayPolicy }
    | { op: 'publish'; topic: string; payload: unknown; id: string; priority?: Priority; await?: boolean; sameOffsetAs?: string }
    | { op: 'await_publishes'; ids: string[] }
    | { op: 'operator_publish'; topic: string; payload: unknown; id: string }
    | { op: 'expect_events'; ids: string[] }
    | { op: 'stop_hub'; graceful: boolean }
    | { op: 'start_hub' }
    | { op: 'expect_resumed' }
    | { op: 'session_create'; as: string; metadata?: Record<string, unknown>; messages?: NewMessage[] }
    | { op: 'session_append'; session: string; messages: NewMessage[] }
    | { op: 'session_state'; session: string; state: unknown }
    | { op: 'session_get'; session: string }
    | { op: 'session_restore'; expect?: Array<{ session: string; state: unknown }> }
    | { op: 'group_turns'; peers: number; maxTurns: number }
    | { op: 'agent_restart' }
    | { op: 'close' }
  );

interface StepLimits {
  /** What the answer must match (see `mismatch`). */
  expect?: unknown;
  /** How long the step may take (ms); 30 s by default. */
  withinMs?: number;
}

type NewMessage = AppendMessages['messages'][number];

export interface Scenario {
  scenario: string;
  version: number;
  steps: Step[];
}

/** What a runner says about one step. */
export interface StepReport {
  index: number;
  op: string;
  ok: boolean;
  ms: number;
  error?: string;
}

/** Asks of the harness, which owns the hub process and the operator API. */
export type HarnessRequest =
  | { op: 'stop_hub'; graceful: boolean }
  | { op: 'start_hub' }
  | { op: 'operator_publish'; topic: string; payload: unknown; id: string }
  | { op: 'group_create'; members: string[]; maxTurns: number }
  | { op: 'group_check'; groupId: string; members: string[]; maxTurns: number };

export interface Harness {
  /** Performs one request; rejects with a message saying what went wrong. */
  perform(request: HarnessRequest): Promise<unknown>;
}

export const DEFAULT_STEP_MS = 30_000;

/** Reads the scenario with every "{run}" replaced, so runs sharing a hub use their own ids and topics. */
export function loadScenario(run: string, file = SCENARIO_PATH): Scenario {
  return JSON.parse(readFileSync(file, 'utf8').replaceAll('{run}', run)) as Scenario;
}

/**
 * Where `actual` departs from `expected`, or null. Objects match on the keys `expected` names
 * (the hub may add fields), arrays element by element and in length, anything else by equality.
 * The Python runner implements the same rule (`mismatch` in conformance_runner.py).
 */
export function mismatch(actual: unknown, expected: unknown, at = '$'): string | null {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${at}: expected an array, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.length)
      return `${at}: expected ${expected.length} items, got ${actual.length}: ${JSON.stringify(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const m = mismatch(actual[i], expected[i], `${at}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      return `${at}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [key, value] of Object.entries(expected)) {
      const m = mismatch((actual as Record<string, unknown>)[key], value, `${at}.${key}`);
      if (m) return m;
    }
    return null;
  }
  return actual === expected ? null : `${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}
