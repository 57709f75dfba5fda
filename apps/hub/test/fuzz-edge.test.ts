/**
 * Property-based fuzzing of the hub's edge: every socket event an agent may send and every /api
 * route, with hostile ids, shapes, sizes, numbers, cursors and topic patterns. The property for
 * each request: answered within 1 s, with a documented error code (packages/protocol/src/errors.ts),
 * never INTERNAL / HTTP 500. Afterwards the hub must still be healthy, and a probe agent's
 * publish round trip, measured while the fuzz runs, must stay fast.
 *
 * Bounded: a fixed numRuns per property (about 12 s for the file). Replay a failure with the seed
 * printed at the start, shrinking it to a minimal counterexample:
 *   FUZZ_SEED=<seed> FUZZ_SHRINK=1 pnpm exec vitest run apps/hub/test/fuzz-edge.test.ts
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { AgentClient } from '@agent-hub/sdk';
import { ERROR_CODES, isErrorCode, type HubEvent } from '@agent-hub/protocol';
import { startTestHub, type TestHub } from './support/test-hub.ts';

const SEED = Number(process.env.FUZZ_SEED ?? Date.now());
/** Multiplies every numRuns (FUZZ_RUNS=10 for a long local run). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1);
/** CI reports the first failing case as generated; FUZZ_SHRINK=1 (with the same FUZZ_SEED) shrinks it to a minimal one. */
const SHRINK = process.env.FUZZ_SHRINK === '1';
console.info(`[fuzz-edge] seed=${SEED} — replay with FUZZ_SEED=${SEED} pnpm exec vitest run apps/hub/test/fuzz-edge.test.ts`);

const LIMIT = 4096;
const ANSWER_MS = 1000;

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

const CONTROL = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).concat([
  '\u007f',
  '\u0085',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\u202e',
]);

const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '../',
    '../../etc/passwd',
    '..%2f..%2f',
    '%00',
    '%2500',
    '%',
    '%zz',
    '%c0%ae',
    'x'.repeat(64),
    'x'.repeat(65),
    'x'.repeat(128),
    'x'.repeat(129),
    'x'.repeat(256),
    'x'.repeat(257),
    'x'.repeat(513),
    '😀',
    '\ud800',
    '\udfff',
    'é',
    '\u202e',
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'null',
    'undefined',
    'true',
    '0',
    '-1',
    '1e308',
    'NaN',
    'Infinity',
    '2147483648',
    '9007199254740993',
    '#',
    '*',
    ':',
    '::',
    'a:*',
    'a:#',
    '#:a',
    '*:a',
    'a:*:b',
    'a::b',
    'a:b:c:d:e:f:g:h:i',
    '<script>',
    "'; drop table sessions; --",
    '\n',
    '\r\n',
    '\t',
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    'W/"1"',
    '"1"',
    '*',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: fc.constantFrom(...CONTROL, 'a', ':', '#', '*', '/', '.', '%'), maxLength: 40 }),
  fc.integer({ min: 1, max: 300 }).chain((n) => fc.constantFrom('x'.repeat(n), 'é'.repeat(n), '😀'.repeat(n))),
);

const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    1,
    2,
    63,
    64,
    65,
    99,
    100,
    101,
    499,
    500,
    501,
    999,
    1000,
    1001,
    2000,
    2001,
    4999,
    5000,
    5001,
    100_000,
    100_001,
    86_400_000,
    86_400_001,
    3_600_000,
    3_600_001,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32,
    2 ** 53 - 1,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 31),
    -(2 ** 53),
    1e308,
    -1e308,
    0.5,
    1.5,
    Number.MIN_VALUE,
    Number.EPSILON,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Objects and arrays nested to `depth` levels (up to 100; deeper ones overflow socket.io-client's encoder). */
const nested: fc.Arbitrary<unknown> = fc
  .tuple(fc.integer({ min: 1, max: 100 }), fc.constantFrom('obj', 'arr', 'mix'))
  .map(([depth, kind]) => {
    let v: unknown = 'leaf';
    for (let i = 0; i < depth; i++) v = kind === 'arr' || (kind === 'mix' && i % 2) ? [v] : { k: v };
    return v;
  });

/** Strings around the 4096-byte payload limit (ASCII; multi-byte ones stay under socket.io's hard 4x cap). */
const nearLimit: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: LIMIT - 200, max: LIMIT + 200 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 1300, max: 1400 }).map((n) => 'é😀'.repeat(n / 2)),
);

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64url');
const cursor: fc.Arbitrary<string> = fc.oneof(
  hostileString,
  fc.uint8Array({ maxLength: 300 }).map(b64),
  fc.jsonValue({ maxDepth: 3 }).map((v) => b64(JSON.stringify(v))),
  fc
    .record(
      {
        createdAt: fc.oneof(
          hostileString,
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        ),
        updatedAt: fc.oneof(
          hostileString,
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        ),
        id: fc.oneof(hostileString, fc.uuid()),
        offset: hostileNumber,
        seq: hostileNumber,
        t: fc.oneof(hostileNumber, hostileString),
      },
      { requiredKeys: [] },
    )
    .map((o) => b64(JSON.stringify(o))),
  fc.constantFrom('', '=', '===', 'e30', 'bnVsbA', 'W10', 'InN0cmluZyI', b64('{"createdAt":"\u0000","id":"x"}'), b64('{"offset":1e308}')),
);

const segment = fc.oneof(
  fc.constantFrom('a', 'agent', 'session', 'x-1', '*', '#', '', ' ', 'é', '\u0000', 'a/b'),
  fc.string({ maxLength: 12 }),
);
const topic: fc.Arbitrary<string> = fc.oneof(
  fc.array(segment, { minLength: 1, maxLength: 12 }).map((s) => s.join(':')),
  hostileString,
  fc.integer({ min: 250, max: 260 }).map((n) => 'a'.repeat(n)),
);

const isoTime = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(
    '2024-01-01T00:00:00Z',
    '2024-01-01T00:00:00+14:00',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999Z',
    '+275760-09-13T00:00:00Z',
    '2024-02-30T00:00:00Z',
  ),
  hostileString,
);

const leaf: fc.Arbitrary<unknown> = fc.oneof(hostileString, hostileNumber, fc.boolean(), fc.constant(null), fc.constant(undefined));
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: leaf },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, leaf, { maxKeys: 5 }) },
  { weight: 1, arbitrary: nested },
  { weight: 1, arbitrary: nearLimit },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.array(fc.constant('a'), { minLength: 99, maxLength: 1002 }) },
);

/** Each field: a plausible value or a hostile one; any subset of fields present. */
function shaped(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const arbs: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [k, a] of Object.entries(fields)) arbs[k] = fc.oneof({ weight: 8, arbitrary: a }, { weight: 1, arbitrary: hostileValue });
  return fc.oneof({ weight: 1, arbitrary: hostileValue }, { weight: 6, arbitrary: fc.record(arbs, { requiredKeys: [] }) });
}

/** Mostly plausible text, sometimes hostile. */
const text = fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 60 }) }, { weight: 1, arbitrary: hostileString });

// Fixtures created in beforeAll: real ids let the fuzz reach past "not found" into the handlers.
const fixtures = { sessionId: '', groupId: '', taskId: '', agents: ['fuzzer', 'fuzz-peer', 'probe'] };
const agentId = fc.oneof(fc.constantFrom('fuzzer', 'fuzz-peer', 'probe', 'nobody'), hostileString);
const sessionId = fc.oneof(
  fc.constant(null).map(() => fixtures.sessionId),
  fc.uuid(),
  hostileString,
);
const groupId = fc.oneof(
  fc.constant(null).map(() => fixtures.groupId),
  fc.uuid(),
  hostileString,
);
const taskId = fc.oneof(
  fc.constant(null).map(() => fixtures.taskId),
  fc.uuid(),
  hostileString,
);
const version = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: hostileNumber });
const metadata = fc.oneof(
  { weight: 3, arbitrary: fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, hostileValue, { maxKeys: 4 }) },
  { weight: 1, arbitrary: hostileValue },
);
const message = shaped({
  role: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('system', 'user', 'assistant', 'agent', 'tool', 'operator') },
    { weight: 1, arbitrary: hostileString },
  ),
  author: text,
  content: fc.oneof(text, nearLimit),
  metadata,
});
const messages = fc.oneof(
  { weight: 2, arbitrary: fc.array(fc.record({ content: fc.string({ maxLength: 40 }) }), { minLength: 1, maxLength: 3 }) },
  { weight: 2, arbitrary: fc.array(message, { maxLength: 4 }) },
  { weight: 1, arbitrary: hostileValue },
);
const patterns = fc.oneof(
  fc.array(topic, { maxLength: 5 }),
  fc.array(fc.constant('a:#'), { minLength: 100, maxLength: 101 }),
  hostileValue,
);
const plausiblePatterns = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.constantFrom('fuzz:#', 'fuzz:*', 'agent:fuzzer', 'x'), { minLength: 1, maxLength: 3 }) },
  { weight: 2, arbitrary: patterns },
);
const plausibleTopic = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('fuzz:a', 'fuzz:b:c', 'agent:fuzzer', 'x') },
  { weight: 2, arbitrary: topic },
);
const offset = fc.oneof({ weight: 2, arbitrary: fc.integer({ min: 0, max: 50 }) }, { weight: 1, arbitrary: hostileNumber });
const priority = fc.oneof(fc.constantFrom('low', 'normal', 'high', 'critical'), hostileString);

const SOCKET_EVENTS: Record<string, fc.Arbitrary<unknown>> = {
  'agent:register': shaped({
    name: fc.oneof(fc.constant('fuzzer'), text),
    capabilities: fc.oneof(fc.array(text, { maxLength: 5 }), fc.array(fc.constant('c'), { minLength: 64, maxLength: 65 }), hostileValue),
    recovery: fc.oneof(fc.constantFrom('restart', 'replace', 'alert'), hostileString),
    priority: fc.oneof(fc.integer({ min: 0, max: 1000 }), hostileNumber),
    meta: metadata,
    reconnect: shaped({ afterMs: hostileNumber }),
  }),
  'agent:restore': shaped({}),
  'session:create': shaped({ members: fc.oneof(fc.array(agentId, { maxLength: 4 }), hostileValue), metadata, messages }),
  'session:get': shaped({ id: sessionId, history: fc.oneof(fc.boolean(), hostileValue) }),
  'session:list': shaped({
    state: fc.oneof(fc.constantFrom('active', 'idle', 'expired'), hostileString),
    agent: agentId,
    createdAfter: isoTime,
    createdBefore: isoTime,
    updatedAfter: isoTime,
    updatedBefore: isoTime,
    cursor,
    limit: offset,
  }),
  'session:update': shaped({
    id: sessionId,
    version,
    metadata,
    members: fc.oneof(fc.array(agentId, { maxLength: 4 }), hostileValue),
    state: fc.oneof(fc.constant('active'), hostileString),
  }),
  'session:append': shaped({ id: sessionId, version, messages }),
  'session:state': shaped({ id: sessionId, version, state: hostileValue }),
  'event:publish': shaped({
    id: fc.oneof(fc.uuid(), hostileString),
    topic: plausibleTopic,
    priority,
    payload: fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostileValue),
    retry: fc.oneof(fc.boolean(), hostileValue),
  }),
  'event:subscribe': shaped({
    patterns: plausiblePatterns,
    fromOffset: offset,
    policy: fc.oneof(fc.constantFrom('none', 'full', 'critical-only'), hostileString),
  }),
  'event:unsubscribe': shaped({ patterns: plausiblePatterns }),
  'event:nack': shaped({ id: fc.oneof(fc.uuid(), hostileString), offset, attempts: offset, error: fc.oneof(text, nearLimit) }),
  'group:join': shaped({ groupId }),
  'group:leave': shaped({ groupId }),
  'group:speak': shaped({ groupId, turnId: text, content: fc.oneof(text, nearLimit), metadata, priority }),
  'group:task': shaped({
    groupId,
    action: fc.oneof(fc.constantFrom('add', 'claim', 'complete', 'fail', 'list'), hostileString),
    title: text,
    details: fc.oneof(text, nearLimit),
    taskId,
    result: hostileValue,
    error: text,
  }),
};

/**
 * A frame above socket.io's hard cap (maxHttpBufferSize = 4 x SOCKET_MAX_PAYLOAD_BYTES) closes the
 * connection by design (docs/protocol.md); the fuzz stays under it, and measures the soft limit.
 */
const underHardCap = (...args: unknown[]) => Buffer.byteLength(JSON.stringify(args) ?? '') < 3 * LIMIT;

// socket.io-client throws on its reserved names before sending; those are not the hub's to answer.
const RESERVED = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);
const unknownEvent = fc
  .oneof(hostileString, fc.constantFrom('event:ack', 'liveness:probe', 'hub:error', 'session:delete', 'group:end', 'agent:register '))
  .filter((e) => e.length > 0 && !RESERVED.has(e) && !(e in SOCKET_EVENTS) && e !== 'event:ack');

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

type Answer = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } };

/** Outcomes per event / route, printed after each run: shows how far past validation the fuzz got. */
const outcomes = new Map<string, Map<string, number>>();
function count(key: string, outcome: string): void {
  const m = outcomes.get(key) ?? new Map<string, number>();
  m.set(outcome, (m.get(outcome) ?? 0) + 1);
  outcomes.set(key, m);
}
function printOutcomes(label: string): void {
  const lines = [...outcomes].map(([k, m]) => `  ${k}: ${[...m].map(([o, n]) => `${o}=${n}`).join(' ')}`);
  console.info(`[fuzz-edge] ${label} outcomes:\n${lines.join('\n')}`);
  outcomes.clear();
}

function expectDocumentedAck(event: string, payload: unknown, ack: unknown): void {
  const a = ack as Answer;
  count(event, a?.ok ? 'ok' : String(a?.error?.code));
  const where = `${event} ${preview(payload)} -> ${preview(ack)}`;
  expect(a !== null && typeof a === 'object' && typeof a.ok === 'boolean', `ack shape: ${where}`).toBe(true);
  if (!a.ok) {
    expect(isErrorCode(a.error?.code), `undocumented code: ${where}`).toBe(true);
    expect(a.error.code, `INTERNAL: ${where}`).not.toBe('INTERNAL');
  }
}

function preview(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 300 ? `${s.slice(0, 300)}…(${s.length} chars)` : s;
}

async function call(agent: AgentClient, event: string, ...args: unknown[]): Promise<unknown> {
  const start = performance.now();
  try {
    return await agent.socket.timeout(ANSWER_MS).emitWithAck(event, ...args);
  } catch (err) {
    throw new Error(`no answer to "${event}" within ${ANSWER_MS} ms (${Math.round(performance.now() - start)} ms): ${preview(args)}`, {
      cause: err,
    });
  }
}

interface HttpCase {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body?: string;
}

const encode = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return s; // a lone surrogate: sent as is, the URL parser encodes it
  }
};
const pathId = (a: fc.Arbitrary<string>) => fc.oneof(a.map(encode), a);
const sessionPath = pathId(sessionId);
const groupPath = pathId(groupId);
const taskPath = pathId(taskId);
const agentPath = pathId(agentId);

const route: fc.Arbitrary<{ method: string; path: string }> = fc.oneof(
  fc.constantFrom(
    { method: 'GET', path: '/api/status' },
    { method: 'GET', path: '/api/agents' },
    { method: 'POST', path: '/api/agents/tokens' },
    { method: 'GET', path: '/api/degradation' },
    { method: 'GET', path: '/api/sessions' },
    { method: 'POST', path: '/api/sessions' },
    { method: 'GET', path: '/api/events' },
    { method: 'POST', path: '/api/events' },
    { method: 'GET', path: '/api/deadletters' },
    { method: 'GET', path: '/api/groups' },
    { method: 'POST', path: '/api/groups' },
  ),
  fc
    .tuple(fc.constantFrom('GET', 'POST', 'PATCH', 'PUT', 'DELETE'), agentPath, fc.constantFrom('', '/health'))
    .map(([method, id, s]) => ({ method, path: `/api/agents/${id}${s}` })),
  fc
    .tuple(fc.constantFrom('GET', 'PATCH', 'DELETE', 'POST', 'PUT'), sessionPath, fc.constantFrom('', '/messages'))
    .map(([method, id, s]) => ({ method, path: `/api/sessions/${id}${s}` })),
  fc
    .tuple(fc.constantFrom('PUT', 'GET'), sessionPath, agentPath)
    .map(([method, id, a]) => ({ method, path: `/api/sessions/${id}/agents/${a}/state` })),
  fc
    .tuple(
      fc.constantFrom('GET', 'POST', 'DELETE'),
      groupPath,
      fc.constantFrom('', '/end', '/pause', '/resume', '/next', '/messages', '/tasks'),
    )
    .map(([method, id, s]) => ({ method, path: `/api/groups/${id}${s}` })),
  fc
    .tuple(fc.constantFrom('POST', 'GET'), groupPath, taskPath, fc.constantFrom('claim', 'complete', 'fail'))
    .map(([method, g, tk, s]) => ({ method, path: `/api/groups/${g}/tasks/${tk}/${s}` })),
  fc
    .tuple(fc.constantFrom('POST', 'GET'), agentPath, fc.constantFrom('/retry', '/discard'))
    .map(([method, id, s]) => ({ method, path: `/api/deadletters/${id}${s}` })),
  fc
    .tuple(fc.constantFrom('GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS', 'HEAD'), hostileString)
    .map(([method, p]) => ({ method, path: `/api/${p}` })),
);

const QUERY_KEYS = [
  'state',
  'agent',
  'createdAfter',
  'createdBefore',
  'updatedAfter',
  'updatedBefore',
  'cursor',
  'limit',
  'history',
  'afterSeq',
  'patterns',
  'from',
  'to',
  'afterOffset',
  'minPriority',
  'status',
  '__proto__',
  'constructor',
];
const queryString: fc.Arbitrary<string> = fc.oneof(
  fc.constant(''),
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...QUERY_KEYS), hostileString),
        fc.oneof(hostileString, hostileNumber.map(String), cursor, isoTime, topic),
      ),
      { maxLength: 5 },
    )
    .map((pairs) => `?${new URLSearchParams(pairs).toString()}`),
  fc.constantFrom(
    '?%',
    '?limit=%00',
    '?cursor=%zz',
    '?limit=1&limit=2',
    '?patterns=',
    '?patterns=,,',
    '?patterns=%23',
    '?a[b]=1',
    '?limit=1e308',
    '?afterSeq=9007199254740993',
    '?afterOffset=-0',
    '?limit=0x10',
    '?&&&=',
    '?' + 'a=1&'.repeat(300),
  ),
);

const bodyText: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  hostileValue.map((v) => JSON.stringify(v) ?? 'undefined'),
  fc.constantFrom(
    '',
    '{',
    '{"members": [',
    'null',
    '[]',
    '"x"',
    '1e999',
    '{"__proto__": {"x": 1}}',
    '{"a":1,"a":2}',
    '\u0000',
    '{"content":"\\u0000"}',
    '\ufeff{}',
  ),
  fc
    .record(
      {
        members: fc.oneof(fc.array(agentId, { maxLength: 12 }), fc.constant(['fuzzer', 'fuzz-peer'])),
        strategy: fc.oneof(fc.constantFrom('round-robin', 'priority', 'capability', 'llm', 'manual'), hostileString),
        maxTurns: hostileNumber,
        stopWord: text,
        turnTimeoutMs: hostileNumber,
        timeoutMs: hostileNumber,
        manualWaitMs: hostileNumber,
        cooldownTurns: hostileNumber,
        allowedTransitions: fc.oneof(fc.dictionary(agentId, fc.array(agentId, { maxLength: 3 }), { maxKeys: 3 }), hostileValue),
        prompt: text,
        agentId,
        topic,
        payload: hostileValue,
        priority,
        id: hostileString,
        version,
        state: hostileValue,
        messages,
        metadata,
        content: text,
        author: text,
        title: text,
        details: text,
        reason: text,
        result: hostileValue,
        error: text,
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
);

const ifMatch = fc.oneof(
  fc.constantFrom(
    '"1"',
    '"2"',
    '1',
    '*',
    'W/"1"',
    '"0"',
    '"-1"',
    '"2147483647"',
    '"2147483648"',
    '"9007199254740993"',
    '"1e308"',
    '"1.5"',
    '""',
    '"',
    'a, b',
    '"1", "2"',
  ),
  hostileString,
);

const httpCase: fc.Arbitrary<HttpCase> = fc
  .record({
    method: fc.constant(''),
    path: fc.constant(''),
    route,
    query: queryString,
    body: bodyText,
    headers: fc.record(
      {
        'if-match': ifMatch,
        'content-type': fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data',
          'application/json; charset=utf-16',
          '',
        ),
        'x-request-id': hostileString,
      },
      { requiredKeys: [] },
    ),
  })
  .map(({ route: r, query, body, headers }) => ({
    method: r.method,
    path: r.path,
    query,
    body: r.method === 'GET' || r.method === 'HEAD' ? undefined : body,
    headers,
  }));

/** Requests fetch itself refuses to build (invalid URL or header) never reach the hub. */
function buildable(t: TestHub, c: HttpCase): boolean {
  try {
    new URL(t.url + c.path + c.query);
    new Headers(c.headers);
    // undici refuses control characters in header values before sending.
    if (Object.values(c.headers).some((v) => !/^[\t\x20-\x7e\x80-\xff]*$/.test(v))) return false;
    return true;
  } catch {
    return false;
  }
}

async function expectDocumentedHttp(t: TestHub, c: HttpCase): Promise<void> {
  const where = `${c.method} ${c.path}${c.query} ${preview(c.headers)} body=${preview(c.body)}`;
  const start = performance.now();
  let res: Response;
  let text: string;
  try {
    res = await t.api(c.path + c.query, { method: c.method, headers: c.headers, body: c.body, signal: AbortSignal.timeout(ANSWER_MS) });
    text = await res.text();
  } catch (err) {
    throw new Error(`no answer within ${ANSWER_MS} ms (${Math.round(performance.now() - start)} ms): ${where}`, { cause: err });
  }
  const known = /^\/api\/(status|agents|degradation|sessions|events|deadletters|groups)(\/|$)/.exec(c.path);
  count(`${c.method} ${known ? `/api/${known[1]}${known[2] ? '/…' : ''}` : '/api/(other)'}`, String(res.status));
  expect(res.status, `HTTP 500: ${where} -> ${text.slice(0, 300)}`).not.toBe(500);
  // A HEAD answer has no body by definition; its status is checked above.
  if (res.status >= 400 && c.method !== 'HEAD') {
    let body: { error?: { code?: string } } | undefined;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const code = body?.error?.code;
    expect(isErrorCode(code), `undocumented error body: ${where} -> ${res.status} ${text.slice(0, 300)}`).toBe(true);
    expect(code, `INTERNAL: ${where}`).not.toBe('INTERNAL');
    expect(res.status, `status does not match code ${code}: ${where}`).toBe(ERROR_CODES[code as keyof typeof ERROR_CODES]);
  }
}

// ---------------------------------------------------------------------------------------------
// Probe: a publish round trip measured while the fuzz runs
// ---------------------------------------------------------------------------------------------

function startProbe(probe: AgentClient): { stop: () => Promise<number[]>; missed: () => number } {
  const samples: number[] = [];
  let missed = 0;
  let running = true;
  const waiting = new Map<number, () => void>();
  let n = 0;
  void probe.subscribe(['probe:rt'], (e: HubEvent) => {
    const p = e.payload as { n: number };
    waiting.get(p.n)?.();
  });
  const loop = (async () => {
    await probe.idle();
    while (running) {
      const i = ++n;
      const start = performance.now();
      const got = new Promise<void>((resolve) => waiting.set(i, resolve));
      await probe.publish('probe:rt', { n: i });
      const arrived = await Promise.race([got.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
      if (!arrived) missed++;
      waiting.delete(i);
      samples.push(performance.now() - start);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
    missed: () => missed,
  };
}

function pct(samples: number[], q: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.max(0, Math.min(s.length - 1, Math.ceil(s.length * q) - 1))] ?? NaN;
}
const p99 = (samples: number[]) => pct(samples, 0.99);

// ---------------------------------------------------------------------------------------------
// Suites
// ---------------------------------------------------------------------------------------------

function fuzzSuite(name: string, env: Record<string, string>, runs: { socket: number; http: number }) {
  describe(`fuzz the edge (${name})`, () => {
    let t: TestHub;
    let fuzzer: AgentClient;
    let probeRun: ReturnType<typeof startProbe>;
    const params = (extra = 0) => ({ seed: SEED + extra, numRuns: Math.round(runs.socket * RUNS), endOnFailure: !SHRINK });

    beforeAll(async () => {
      t = await startTestHub({
        HTTP_MAX_BODY_BYTES: String(LIMIT),
        SOCKET_MAX_PAYLOAD_BYTES: String(LIMIT),
        SESSION_LIMIT: '100000',
        ...env,
      });
      fuzzer = await t.agent('fuzzer');
      await t.agent('fuzz-peer');
      const probe = await t.agent('probe');
      const s = (await call(fuzzer, 'session:create', { members: ['fuzz-peer'] })) as { ok: true; data: { id: string } };
      fixtures.sessionId = s.data.id;
      const g = (await (
        await t.api('/api/groups', { method: 'POST', body: JSON.stringify({ members: ['fuzzer', 'fuzz-peer'] }) })
      ).json()) as { id: string };
      fixtures.groupId = g.id;
      const task = (await (
        await t.api(`/api/groups/${g.id}/tasks`, { method: 'POST', body: JSON.stringify({ title: 'fixture' }) })
      ).json()) as { id: string };
      fixtures.taskId = task.id;
      probeRun = startProbe(probe);
    }, 30_000);
    afterAll(async () => {
      await probeRun?.stop();
      await t?.close();
    });

    it('answers every agent socket event with a documented code, never INTERNAL, within 1 s', async () => {
      const start = performance.now();
      const event = fc
        .constantFrom(...Object.keys(SOCKET_EVENTS))
        .chain((e) => fc.tuple(fc.constant(e), SOCKET_EVENTS[e]!))
        .filter(([, p]) => underHardCap(p));
      await fc.assert(
        fc.asyncProperty(event, async ([e, payload]) => {
          expectDocumentedAck(e, payload, await call(fuzzer, e, payload));
        }),
        {
          ...params(0),
          // Found by this fuzz, fixed in payload-limits.ts: lone surrogates reached PGlite's jsonb as INTERNAL.
          examples: [
            [['session:create', { metadata: { k: '\ud800' } }]],
            [['session:create', { metadata: { '\udc00': 1 } }]],
            [['agent:register', { name: 'fuzzer', meta: { k: 'x\ud800' } }]],
            [['session:state', { id: '', state: { x: '\udfff' } }]],
            // Found by this fuzz, fixed in common.ts (IsoTime): year 0 is valid ISO but no PostgreSQL timestamp.
            [['session:list', { createdAfter: '0000-01-01T00:00:00Z' }]],
            [['session:list', { updatedBefore: '0001-01-01T00:00:00+01:00' }]],
          ],
        },
      );
      console.info(`[fuzz-edge] ${name}: socket events x${params().numRuns} in ${Math.round(performance.now() - start)} ms`);
      printOutcomes(`${name} socket`);
    }, 60_000);

    it('answers an unknown event with NOT_FOUND', async () => {
      await fc.assert(
        fc.asyncProperty(
          unknownEvent,
          hostileValue.filter((p) => underHardCap(p)),
          async (e, payload) => {
            const ack = (await call(fuzzer, e, payload)) as Answer;
            expectDocumentedAck('(unknown event)', payload, ack);
            expect(ack.ok === false && ack.error.code).toBe('NOT_FOUND');
          },
        ),
        { ...params(1), numRuns: Math.ceil(params().numRuns / 5) },
      );
    }, 30_000);

    it('answers an event sent with extra arguments before its acknowledgement', async () => {
      const event = fc
        .constantFrom(...Object.keys(SOCKET_EVENTS))
        .chain((e) => fc.tuple(fc.constant(e), SOCKET_EVENTS[e]!, hostileValue))
        .filter(([, p, x]) => underHardCap(p, x));
      await fc.assert(
        fc.asyncProperty(event, async ([e, payload, extra]) => {
          expectDocumentedAck(`${e} (extra argument)`, payload, await call(fuzzer, e, payload, extra));
        }),
        { ...params(2), numRuns: Math.ceil(params().numRuns / 5) },
      );
      printOutcomes(`${name} unknown events, extra arguments`);
    }, 30_000);

    it('answers every /api request with a documented code, never 500, within 1 s', async () => {
      const start = performance.now();
      let sent = 0;
      await fc.assert(
        fc.asyncProperty(httpCase, async (c) => {
          if (!buildable(t, c)) return;
          sent++;
          await expectDocumentedHttp(t, c);
        }),
        {
          seed: SEED + 3,
          numRuns: Math.round(runs.http * RUNS),
          endOnFailure: !SHRINK,
          examples: [
            [{ method: 'POST', path: '/api/sessions', query: '', headers: {}, body: '{"metadata":{"k":"\\ud800"}}' }],
            [
              {
                method: 'POST',
                path: '/api/groups',
                query: '',
                headers: {},
                body: '{"members":["fuzzer","fuzz-peer"],"metadata":{"\\udc00":1}}',
              },
            ],
            [{ method: 'GET', path: '/api/sessions', query: '?cursor=%ED%A0%80', headers: {}, body: undefined }],
            [{ method: 'GET', path: '/api/sessions', query: '?createdBefore=0000-06-01T00:00:00Z', headers: {}, body: undefined }],
            [{ method: 'GET', path: '/api/events', query: '?from=0000-01-01T00:00:00Z', headers: {}, body: undefined }],
          ],
        },
      );
      console.info(`[fuzz-edge] ${name}: ${sent} HTTP requests in ${Math.round(performance.now() - start)} ms`);
      printOutcomes(`${name} HTTP`);
    }, 60_000);

    // The hub keeps serving everyone else while one client sends it garbage: every probe event came
    // back, none later than the answer bound the fuzz holds every request to. The p99 is printed as a
    // figure, not asserted: on these shared 2 cores a tight bound failed on scheduling, not the hub.
    it('is still healthy afterwards, and the probe round trip kept answering while fuzzed', async () => {
      expect((await t.api('/health', { auth: false, signal: AbortSignal.timeout(ANSWER_MS) })).status).toBe(200);
      const samples = await probeRun.stop();
      const got = p99(samples);
      console.info(
        `[fuzz-edge] ${name}: probe round trips n=${samples.length} p50=${pct(samples, 0.5).toFixed(1)} ms p99=${got.toFixed(1)} ms max=${Math.max(...samples).toFixed(1)} ms`,
      );
      expect(samples.length).toBeGreaterThan(10);
      expect(probeRun.missed()).toBe(0);
      expect(Math.max(...samples)).toBeLessThan(ANSWER_MS);
      // One more round trip after the fuzz, on a fresh probe.
      const after = startProbe(await t.agent('probe-after'));
      await new Promise((r) => setTimeout(r, 300));
      const last = await after.stop();
      expect(last.length).toBeGreaterThan(0);
      expect(Math.max(...last)).toBeLessThan(ANSWER_MS);
    }, 30_000);
  });
}

fuzzSuite('memory store', {}, { socket: 2000, http: 1500 });
fuzzSuite('pglite store', { STORE: 'pglite' }, { socket: 1000, http: 800 });
