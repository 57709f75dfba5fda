import { z } from 'zod';
import { IsoTime } from './common.ts';
import { INT32_MAX, LIMITS } from './limits.ts';

export const PRIORITIES = ['low', 'normal', 'high', 'critical'] as const;
export const Priority = z.enum(PRIORITIES);
export type Priority = z.infer<typeof Priority>;
export const PRIORITY_RANK: Record<Priority, number> = { low: 0, normal: 1, high: 2, critical: 3 };

const SEGMENT = /^[A-Za-z0-9_.-]+$/;
/**
 * Topics under `$hub:` belong to the hub itself (the audit log, `$hub:audit`): readable and
 * exportable like any other, never published by agents or through `POST /api/events`.
 */
export const HUB_TOPIC_PREFIX = '$hub';
export const AUDIT_TOPIC = '$hub:audit';
export function isHubTopic(topic: string): boolean {
  return topic === HUB_TOPIC_PREFIX || topic.startsWith(`${HUB_TOPIC_PREFIX}:`);
}

/**
 * Topics are `:`-separated segments (`agent:42`, `session:<uuid>`, `orders:eu:created`).
 * Patterns may end in one wildcard segment: `*` matches exactly one segment (`agent:*` matches
 * `agent:42`, not `agent:42:state`), `#` matches one or more (`agent:#` matches both), and a lone
 * `#` matches every topic. Wildcards are only allowed last, so that every pattern a topic can match
 * is computable from the topic alone: fan-out then stays plain Socket.IO rooms, on one node or many.
 */
export function topicProblem(topic: string, allowWildcards: boolean): string | null {
  // Nearly every topic is plain: checked without splitting it.
  if (plainTopic(topic)) return null;
  if (topic.length === 0 || topic.length > LIMITS.topicMax) return `topic length must be 1..${LIMITS.topicMax}`;
  const segments = topic.split(':');
  if (segments.length > LIMITS.topicSegmentsMax) return `at most ${LIMITS.topicSegmentsMax} segments`;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const last = i === segments.length - 1;
    if (s === '*' || s === '#') {
      if (!allowWildcards) return 'wildcards are only allowed in subscriptions';
      if (!last) return `wildcard "${s}" is only allowed as the last segment`;
      if (s === '*' && segments.length === 1) return 'a lone "*" is not a pattern; use "#" for every topic';
      continue;
    }
    if (i === 0 && s === HUB_TOPIC_PREFIX && segments.length > 1) continue;
    if (!SEGMENT.test(s)) return `segment "${s.slice(0, 40)}" must be letters, digits, "_", "." or "-"`;
  }
  return null;
}

export const Topic = z.string().superRefine((t, ctx) => {
  const p = topicProblem(t, false);
  if (p) ctx.addIssue({ code: 'custom', message: `invalid topic: ${p}` });
});
export const TopicPattern = z.string().superRefine((t, ctx) => {
  const p = topicProblem(t, true);
  if (p) ctx.addIssue({ code: 'custom', message: `invalid topic pattern: ${p}` });
});

/** Every pattern that matches `topic` (the topic itself included), for room-based fan-out. */
export function patternsMatching(topic: string): string[] {
  const segments = topic.split(':');
  // As MQTT's `$SYS`: a lone `#` does not reach the hub's own topics; `$hub:#` or the topic does.
  const out = isHubTopic(topic) ? [topic] : [topic, '#'];
  for (let i = 1; i < segments.length; i++) out.push(segments.slice(0, i).join(':') + ':#');
  if (segments.length > 1) out.push(segments.slice(0, -1).join(':') + ':*');
  return out;
}

export function topicMatches(pattern: string, topic: string): boolean {
  return patternsMatching(topic).includes(pattern);
}

export const EventId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'event ids are UUIDs or ULIDs');

export const PublishEvent = z.object({
  /** Supply your own id to make retries idempotent; the hub makes a time-ordered UUID (v7) otherwise. */
  id: EventId.optional(),
  // `$hub:` topics pass the grammar; the hub refuses publishing on them with FORBIDDEN (not a malformed request).
  topic: Topic,
  priority: Priority.default('normal'),
  payload: z.unknown(),
  /**
   * Set on a re-send of an id that may have reached a hub before (after a reconnect or a
   * timeout): the log decides whether it is new, and a known id is answered with its original offset.
   */
  retry: z.boolean().optional(),
});
export type PublishEvent = z.input<typeof PublishEvent>;

/** A publish as PublishEvent parses it: the priority defaulted, unknown fields dropped. */
export type PublishEventParsed = z.output<typeof PublishEvent>;

/**
 * PublishEvent's answer for a well-formed publish, read without zod: every accepted event goes
 * through it, and zod's parse (an output object, a check context per field, a closure for the
 * topic's refinement) was ~1 KB and ~0.4 µs an event at 10,000/s. Only publishes it can vouch
 * for are read here (a plain topic: no `$hub:` segment, no wildcard); for anything else it answers
 * undefined and the caller parses with PublishEvent, which also words the error. A test holds it
 * to PublishEvent's answers.
 */
export function readPublishEvent(raw: unknown): PublishEventParsed | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const { id, topic, priority, retry } = r;
  if (typeof topic !== 'string' || !plainTopic(topic)) return undefined;
  if (id !== undefined && (typeof id !== 'string' || !plainEventId(id))) return undefined;
  if (priority !== undefined && (typeof priority !== 'string' || !(PRIORITIES as readonly string[]).includes(priority))) return undefined;
  if (retry !== undefined && typeof retry !== 'boolean') return undefined;
  const out: PublishEventParsed = { topic, priority: (priority as Priority | undefined) ?? 'normal', payload: r.payload };
  if (id !== undefined) out.id = id;
  if (retry !== undefined) out.retry = retry;
  return out;
}

/** `[A-Za-z0-9_.-]+` segments joined by `:`, within the limits: a topic (and pattern) with no problem and no wildcard or `$hub`. */
function plainTopic(t: string): boolean {
  if (t.length === 0 || t.length > LIMITS.topicMax) return false;
  let segments = 1;
  let segment = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 58 /* : */) {
      if (segment === 0) return false;
      segments++;
      segment = 0;
    } else if (isWordChar(c) || c === 46 /* . */) segment++;
    else return false;
  }
  return segment > 0 && segments <= LIMITS.topicSegmentsMax;
}

/** EventId's rule: 1 to 64 of `[A-Za-z0-9_-]`. */
function plainEventId(id: string): boolean {
  if (id.length === 0 || id.length > 64) return false;
  for (let i = 0; i < id.length; i++) if (!isWordChar(id.charCodeAt(i))) return false;
  return true;
}

/** `[A-Za-z0-9_-]` */
function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45;
}

/**
 * Several publishes in one message (`event:publish-batch`), each answered on its own, in order.
 * The items are checked one by one against PublishEvent (a bad one fails alone), so the list
 * itself only has to be an array of 1 to `publishBatchMax` entries.
 */
export const PublishBatch = z.object({
  events: z.array(z.unknown()).min(1).max(LIMITS.publishBatchMax),
});
export type PublishBatch = { events: PublishEvent[] };

export interface HubEvent {
  id: string;
  offset: number;
  topic: string;
  priority: Priority;
  /** ISO time the hub accepted the event. */
  ts: string;
  publisher: string;
  payload: unknown;
}

export interface PublishResult {
  id: string;
  offset: number;
  /** True once the event is committed to the event log; false if the store is down and it is queued. */
  durable: boolean;
  /** True when this id had been published before: nothing new was delivered. */
  duplicate: boolean;
}

export const ReplayPolicy = z.enum(['none', 'full', 'critical-only']);
export type ReplayPolicy = z.infer<typeof ReplayPolicy>;

export const Subscribe = z.object({
  patterns: z.array(TopicPattern).min(1).max(100),
  /** Resume after this offset; omitted: resume after the offset the hub recorded for this agent. */
  fromOffset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  /** Overrides the per-topic replay policy for this subscription. */
  policy: ReplayPolicy.optional(),
});
export type Subscribe = z.input<typeof Subscribe>;

export const Unsubscribe = z.object({ patterns: z.array(TopicPattern).min(1).max(100) });

const LATENCY_SAMPLES_MAX = 200;
const LATENCY_SAMPLE_MAX_MS = 3_600_000;
export const AckEvents = z.object({
  /** Highest offset the subscriber has fully processed (cumulative). */
  offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** Publish-to-receipt latency samples (ms) for the hub's propagation histogram. */
  latencies: z.array(z.number().min(0).max(LATENCY_SAMPLE_MAX_MS)).max(LATENCY_SAMPLES_MAX).optional(),
});

/**
 * AckEvents' answer for a well-formed ack, read without zod (undefined: parse with AckEvents). A
 * subscriber acks every ~20 ms with up to 200 latency samples, and zod's parse of those was ~45 KB
 * and ~16 µs an ack. The samples are not copied.
 */
export function readAckEvents(raw: unknown): z.output<typeof AckEvents> | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const { offset, latencies } = raw as Record<string, unknown>;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  if (latencies === undefined) return { offset };
  if (!Array.isArray(latencies) || latencies.length > LATENCY_SAMPLES_MAX) return undefined;
  for (let i = 0; i < latencies.length; i++) {
    const ms: unknown = latencies[i];
    // Also false for NaN and the infinities, which z.number() refuses.
    if (typeof ms !== 'number' || !(ms >= 0 && ms <= LATENCY_SAMPLE_MAX_MS)) return undefined;
  }
  return { offset, latencies: latencies as number[] };
}

export const NackEvent = z.object({
  id: EventId,
  offset: z.number().int().min(0),
  attempts: z.number().int().min(1).max(INT32_MAX),
  error: z.string().max(2000),
});
export type NackEvent = z.infer<typeof NackEvent>;

export const ReplayQuery = z.object({
  patterns: z.array(TopicPattern).max(100).optional(),
  from: IsoTime.optional(),
  to: IsoTime.optional(),
  afterOffset: z.coerce.number().int().min(0).optional(),
  minPriority: Priority.optional(),
  limit: z.coerce.number().int().min(1).max(100_000).default(1000),
});
export type ReplayQuery = z.input<typeof ReplayQuery>;

/** A dead letter is `open` until an operator retries (redelivers) or discards it. */
export const DEAD_LETTER_STATUSES = ['open', 'retried', 'discarded'] as const;
export const DeadLetterStatus = z.enum(DEAD_LETTER_STATUSES);
export type DeadLetterStatus = z.infer<typeof DeadLetterStatus>;

export interface DeadLetter {
  id: string;
  eventId: string;
  offset: number;
  topic: string;
  agentId: string;
  attempts: number;
  error: string;
  at: string;
  status: DeadLetterStatus;
  /** Who retried or discarded it (the caller's label, `operator` by default); null while open. */
  resolvedBy: string | null;
  /** ISO time it was retried or discarded; null while open. */
  resolvedAt: string | null;
}

/** `GET /api/deadletters` query. */
export const DeadLetterQuery = z.object({
  status: DeadLetterStatus.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export type DeadLetterQuery = z.input<typeof DeadLetterQuery>;

/** Body of `POST /api/deadletters/:id/retry` and `…/discard` (optional). */
export const ResolveDeadLetter = z.object({
  /** A label for who acted (the operator token names nobody); `operator` when omitted. */
  by: z.string().trim().min(1).max(64).optional(),
});
export type ResolveDeadLetter = z.input<typeof ResolveDeadLetter>;

/**
 * `event:redeliver` (hub → agent, with ack): an operator retried a dead letter. The agent runs the
 * handlers that gave up on `event` again, although its id was already processed.
 */
export interface Redelivery {
  deadLetterId: string;
  event: HubEvent;
}

/** The agent's answer to `event:redeliver`: how many handlers it will run for it. */
export interface RedeliveryReceipt {
  handlers: number;
}
