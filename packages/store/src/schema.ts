import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  customType,
  index,
  integer,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * jsonb whose drivers hand back the raw JSON text: both adapters turn off their drivers' own
 * jsonb parsing, because a driver that parses and then Drizzle's stock jsonb that parses again
 * would turn the stored string "123" into the number 123.
 */
const jsonDocument = customType<{ data: unknown; driverData: string }>({
  dataType: () => 'jsonb',
  toDriver: (value) => JSON.stringify(value ?? null),
  fromDriver: (value) => (typeof value === 'string' ? JSON.parse(value) : value),
});

// Epoch-ms inputs map to millisecond precision, so keyset cursors built from ms compare exactly.
const instant = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey(),
    state: text('state').notNull(),
    version: integer('version').notNull(),
    members: text('members')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    metadata: jsonDocument('metadata').$type<Record<string, unknown>>().notNull(),
    agentState: jsonDocument('agent_state').$type<Record<string, unknown>>().notNull(),
    messageCount: integer('message_count').notNull().default(0),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
    lastActivityAt: instant('last_activity_at').notNull(),
  },
  (t) => [
    check('sessions_state_known', sql`${t.state} in ('active', 'idle', 'expired')`),
    // listSessions pages newest-updated first (a backward scan of these ascending indexes gives
    // exactly `order by updated_at desc, id desc`), with or without a state filter.
    index('sessions_updated_idx').on(t.updatedAt, t.id),
    index('sessions_state_updated_idx').on(t.state, t.updatedAt, t.id),
    // The lifecycle sweep looks for sessions of one state by last activity.
    index('sessions_state_activity_idx').on(t.state, t.lastActivityAt),
    index('sessions_members_gin').using('gin', t.members),
  ],
);

export const sessionMessages = pgTable(
  'session_messages',
  {
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    role: text('role').notNull(),
    author: text('author'),
    content: text('content').notNull(),
    metadata: jsonDocument('metadata').$type<Record<string, unknown>>().notNull(),
    createdAt: instant('created_at').notNull(),
    // The client's (or the hub's) id: a retried append is recognised by it. Null before ids existed.
    messageId: text('message_id'),
    // The session version the write that stored this message produced: a retry answers with it.
    sessionVersion: integer('session_version'),
    // The OpenAI chat fields beyond role and content (tool_calls, tool_call_id, name) and unknown
    // ones, as sent; also `content` when it is null or parts (the text column then holds its text).
    // Null when there are none, as on every message stored before tool calls.
    fields: jsonDocument('fields').$type<Record<string, unknown>>(),
  },
  (t) => [
    // The primary key makes an append that would reuse a seq fail instead of rewriting history.
    primaryKey({ columns: [t.sessionId, t.seq] }),
    // NULLs never collide, so messages stored before ids existed are left alone.
    unique('session_messages_message_id_unique').on(t.sessionId, t.messageId),
  ],
);

export const events = pgTable(
  'events',
  {
    offset: bigint('offset', { mode: 'number' }).primaryKey(),
    id: text('id').notNull().unique('events_id_unique'),
    topic: text('topic').notNull(),
    priority: smallint('priority').notNull(),
    ts: instant('ts').notNull(),
    publisher: text('publisher').notNull(),
    // Text, not jsonb: the payload is serialised once and returned byte for byte.
    payload: text('payload').notNull(),
  },
  (t) => [
    check('events_priority_range', sql`${t.priority} between 0 and 3`),
    // text_pattern_ops serves both `topic = x` and the `topic LIKE 'prefix:%'` of wildcard patterns.
    index('events_topic_offset_idx').on(t.topic.op('text_pattern_ops'), t.offset),
    index('events_ts_idx').on(t.ts),
  ],
);

export const agentOffsets = pgTable('agent_offsets', {
  agentId: text('agent_id').primaryKey(),
  offset: bigint('offset', { mode: 'number' }).notNull(),
});

export const deadLetters = pgTable(
  'dead_letters',
  {
    id: text('id').primaryKey(),
    eventId: text('event_id').notNull(),
    offset: bigint('offset', { mode: 'number' }).notNull(),
    topic: text('topic').notNull(),
    agentId: text('agent_id').notNull(),
    attempts: integer('attempts').notNull(),
    error: text('error').notNull(),
    at: instant('at').notNull(),
    // open | retried | discarded; rows from before statuses existed are open.
    status: text('status').notNull().default('open'),
    resolvedBy: text('resolved_by'),
    resolvedAt: instant('resolved_at'),
  },
  (t) => [index('dead_letters_at_idx').on(t.at, t.id)],
);

export const agents = pgTable('agents', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  capabilities: text('capabilities')
    .array()
    .notNull()
    .default(sql`'{}'::text[]`),
  priority: integer('priority').notNull(),
  recovery: text('recovery').notNull(),
  meta: jsonDocument('meta').$type<Record<string, unknown>>().notNull(),
  registeredAt: instant('registered_at').notNull(),
});

export const kv = pgTable('kv', {
  key: text('key').primaryKey(),
  // Nullable because Drizzle sends a JSON null as SQL NULL; reading it back gives null again.
  value: jsonDocument('value'),
  version: integer('version').notNull(),
});

// Graph checkpoints (LangGraph), apart from sessions. The checkpoint and write values are the
// saver's serialized bytes in base64 (opaque to the hub); metadata is jsonb so listings filter on it.
export const checkpoints = pgTable(
  'checkpoints',
  {
    threadId: text('thread_id').notNull(),
    namespace: text('namespace').notNull(),
    id: text('id').notNull(),
    parentId: text('parent_id'),
    type: text('type').notNull(),
    data: text('data').notNull(),
    metadata: jsonDocument('metadata').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.threadId, t.namespace, t.id] }),
    // Listings run newest id first across threads (a thread's own listing uses the primary key).
    index('checkpoints_id_idx').on(sql`${t.id} collate "C"`),
  ],
);

export const checkpointWrites = pgTable(
  'checkpoint_writes',
  {
    threadId: text('thread_id').notNull(),
    namespace: text('namespace').notNull(),
    checkpointId: text('checkpoint_id').notNull(),
    taskId: text('task_id').notNull(),
    idx: integer('idx').notNull(),
    channel: text('channel').notNull(),
    type: text('type').notNull(),
    data: text('data').notNull(),
    taskPath: text('task_path').notNull().default(''),
  },
  (t) => [primaryKey({ columns: [t.threadId, t.namespace, t.checkpointId, t.taskId, t.idx] })],
);
