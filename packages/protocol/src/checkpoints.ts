import { z } from 'zod';
import { JsonObject } from './common.ts';

/**
 * Checkpoints of a graph run (LangGraph's checkpointer): kept by the hub apart from sessions,
 * because a checkpointer must not lose state to a session's expiry, limits or degraded mode.
 * The checkpoint and the write values are opaque to the hub: the saver's serializer type and
 * its bytes in base64. Metadata is JSON, so a listing can filter on it.
 */
export const CheckpointBlob = z.object({
  /** The serializer's type tag (LangGraph: "json", "bytes" …). */
  type: z.string().min(1).max(64),
  /** The serialized bytes, base64. */
  data: z
    .string()
    .max(900_000)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64'),
});
export type CheckpointBlob = z.infer<typeof CheckpointBlob>;

export const ThreadId = z.string().min(1).max(256);
/** '' is the root graph; subgraphs have their own namespace. */
export const CheckpointNamespace = z.string().max(512);
export const CheckpointId = z.string().min(1).max(128);

export const PutCheckpoint = z.object({
  threadId: ThreadId,
  namespace: CheckpointNamespace.default(''),
  id: CheckpointId,
  /** The checkpoint this one follows (null for a thread's first). */
  parentId: CheckpointId.nullable().default(null),
  checkpoint: CheckpointBlob,
  metadata: JsonObject.default({}),
});
export type PutCheckpoint = z.input<typeof PutCheckpoint>;

export const CheckpointWrite = z.object({
  taskId: z.string().min(1).max(256),
  /** The write's index in its task; negative for LangGraph's special channels (errors, interrupts), which replace. */
  idx: z.number().int().min(-1000).max(1_000_000),
  channel: z.string().min(1).max(256),
  value: CheckpointBlob,
  /** LangGraph's task path: pending writes are ordered by (taskPath, taskId, idx). */
  taskPath: z.string().max(1024).default(''),
});
export type CheckpointWrite = z.infer<typeof CheckpointWrite>;

export const PutCheckpointWrites = z.object({
  threadId: ThreadId,
  namespace: CheckpointNamespace.default(''),
  checkpointId: CheckpointId,
  writes: z.array(CheckpointWrite).min(1).max(1000),
});
export type PutCheckpointWrites = z.input<typeof PutCheckpointWrites>;

export const GetCheckpoint = z.object({
  threadId: ThreadId,
  namespace: CheckpointNamespace.default(''),
  /** Absent: the thread's newest checkpoint in the namespace. */
  id: CheckpointId.optional(),
});
export type GetCheckpoint = z.input<typeof GetCheckpoint>;

/** Where a listing stopped: the last checkpoint it returned (listings run newest id first). */
export const CheckpointCursor = z.object({ id: CheckpointId, threadId: ThreadId, namespace: CheckpointNamespace });
export type CheckpointCursor = z.infer<typeof CheckpointCursor>;

export const ListCheckpoints = z.object({
  threadId: ThreadId.optional(),
  namespace: CheckpointNamespace.optional(),
  id: CheckpointId.optional(),
  /** Only checkpoints with a smaller id. */
  before: CheckpointId.optional(),
  /** Only checkpoints whose metadata has each of these top-level keys at an equal (JSON) value. */
  filter: JsonObject.optional(),
  after: CheckpointCursor.optional(),
  limit: z.number().int().min(1).max(500).default(100),
});
export type ListCheckpoints = z.input<typeof ListCheckpoints>;

export const DeleteCheckpointThread = z.object({ threadId: ThreadId });
export type DeleteCheckpointThread = z.infer<typeof DeleteCheckpointThread>;

/** A stored checkpoint with the writes stored against it (by taskId, then idx). */
export interface StoredCheckpoint {
  threadId: string;
  namespace: string;
  id: string;
  parentId: string | null;
  checkpoint: CheckpointBlob;
  metadata: Record<string, unknown>;
  writes: CheckpointWrite[];
}

export interface CheckpointPage {
  items: StoredCheckpoint[];
  /** Pass as `after` for the next page; null when this was the last. */
  next: CheckpointCursor | null;
}
