import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  compareWritesSortKeys,
  copyCheckpoint,
  getCheckpointId,
  maxChannelVersion,
  TASKS,
  WRITES_IDX_MAP,
  writesSortKey,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import type { CheckpointBlob, CheckpointCursor, CheckpointWrite, StoredCheckpoint } from '@agent-hub/protocol';
import { hubCheckpoints, type AgentClient, type HubCheckpoints } from '@agent-hub/sdk';

/** Writes per call: the hub takes up to 1,000, and a socket message is capped at 1 MB. */
const WRITES_PER_CALL = 100;
/** Checkpoints per listing page asked of the hub. */
const PAGE = 100;

/**
 * A LangGraph checkpointer that keeps checkpoints in Agent Hub, so a graph run by an agent resumes
 * from its last checkpoint after the agent restarts (on this machine or another). Checkpoints are
 * serialized here with the saver's serializer; the hub stores the bytes as they are, apart from
 * sessions (no expiry, no session limit, no pause in degraded mode).
 *
 * @example
 * const client = await connectAgent({ url, agentId: 'planner', token });
 * const graph = builder.compile({ checkpointer: HubCheckpointSaver.forAgent(client) });
 * await graph.invoke(input, { configurable: { thread_id: 'run-42' } });
 */
export class HubCheckpointSaver extends BaseCheckpointSaver {
  constructor(
    private readonly hub: HubCheckpoints,
    serde?: SerializerProtocol,
  ) {
    super(serde);
  }

  /** A saver over this agent's connection to the hub. */
  static forAgent(client: AgentClient, serde?: SerializerProtocol): HubCheckpointSaver {
    return new HubCheckpointSaver(hubCheckpoints(client), serde);
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = config.configurable?.thread_id as string | undefined;
    if (threadId === undefined) return undefined;
    const namespace = (config.configurable?.checkpoint_ns as string | undefined) ?? '';
    const id = getCheckpointId(config) || undefined;
    const stored = await this.hub.get({ threadId, namespace, id });
    if (!stored) return undefined;
    return this.toTuple(stored, id === undefined ? undefined : config);
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { limit, filter } = options;
    const query = {
      threadId: config.configurable?.thread_id as string | undefined,
      namespace: config.configurable?.checkpoint_ns as string | undefined,
      id: getCheckpointId(config) || undefined,
      before: (options.before?.configurable?.checkpoint_id as string | undefined) || undefined,
      filter: filter === undefined ? undefined : jsonCopy(filter),
    };
    let remaining = limit ?? Infinity;
    let after: CheckpointCursor | undefined;
    while (remaining > 0) {
      const page = await this.hub.list({ ...query, after, limit: Math.min(PAGE, remaining) });
      for (const stored of page.items) {
        remaining -= 1;
        yield await this.toTuple(stored);
      }
      if (!page.next) return;
      after = page.next;
    }
  }

  /**
   * Stores the values of the channels in `newVersions` only (what changed at this step); reading
   * finds the others in the ancestors that stored them, so a long run does not rewrite its whole
   * state at every step.
   */
  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const threadId = config.configurable?.thread_id as string | undefined;
    if (threadId === undefined) {
      throw new Error('HubCheckpointSaver.put needs configurable.thread_id (graph.invoke(input, { configurable: { thread_id } }))');
    }
    const namespace = (config.configurable?.checkpoint_ns as string | undefined) ?? '';
    const parentId = (config.configurable?.checkpoint_id as string | undefined) ?? null;
    await this.hub.put({
      threadId,
      namespace,
      id: checkpoint.id,
      parentId,
      checkpoint: await this.dump(changedOnly(checkpoint, newVersions)),
      metadata: jsonCopy(metadata) as Record<string, unknown>,
    });
    return { configurable: { thread_id: threadId, checkpoint_ns: namespace, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    const threadId = config.configurable?.thread_id as string | undefined;
    const checkpointId = config.configurable?.checkpoint_id as string | undefined;
    if (threadId === undefined) throw new Error('HubCheckpointSaver.putWrites needs configurable.thread_id');
    if (checkpointId === undefined) throw new Error('HubCheckpointSaver.putWrites needs configurable.checkpoint_id');
    const namespace = (config.configurable?.checkpoint_ns as string | undefined) ?? '';
    const stored: CheckpointWrite[] = await Promise.all(
      writes.map(async ([channel, value], idx) => ({
        taskId,
        // Special channels (errors, interrupts) take fixed negative indices: they replace, not add.
        idx: WRITES_IDX_MAP[channel] ?? idx,
        channel,
        value: await this.dump(value),
        taskPath: taskPath ?? '',
      })),
    );
    for (let i = 0; i < stored.length; i += WRITES_PER_CALL) {
      await this.hub.putWrites({ threadId, namespace, checkpointId, writes: stored.slice(i, i + WRITES_PER_CALL) });
    }
  }

  async deleteThread(threadId: string): Promise<void> {
    await this.hub.deleteThread(threadId);
  }

  private async toTuple(stored: StoredCheckpoint, asked?: RunnableConfig): Promise<CheckpointTuple> {
    const { threadId, namespace, id, parentId } = stored;
    const checkpoint = (await this.load(stored.checkpoint)) as Checkpoint;
    // Checkpoints before format 4 kept pending sends as the parent's TASKS writes.
    if (parentId !== null) await this.fillFromAncestors(checkpoint, threadId, namespace, parentId);
    if (checkpoint.v < 4 && parentId !== null) await this.migratePendingSends(checkpoint, threadId, namespace, parentId);
    const tuple: CheckpointTuple = {
      config: asked ?? { configurable: { thread_id: threadId, checkpoint_ns: namespace, checkpoint_id: id } },
      checkpoint,
      metadata: stored.metadata as CheckpointMetadata,
      pendingWrites: await this.pendingWrites(stored.writes),
    };
    if (parentId !== null)
      tuple.parentConfig = { configurable: { thread_id: threadId, checkpoint_ns: namespace, checkpoint_id: parentId } };
    return tuple;
  }

  /** In `writesSortKey` order, the order live execution applies a superstep's writes in. */
  private async pendingWrites(writes: CheckpointWrite[]): Promise<CheckpointPendingWrite[]> {
    const ordered = [...writes].sort((a, b) =>
      compareWritesSortKeys(writesSortKey(a.taskPath, a.taskId, a.idx), writesSortKey(b.taskPath, b.taskId, b.idx)),
    );
    return Promise.all(ordered.map(async (w): Promise<CheckpointPendingWrite> => [w.taskId, w.channel, await this.load(w.value)]));
  }

  /**
   * Channel values the checkpoint did not store itself (unchanged at its step) come from the
   * nearest ancestor that stored the channel at the same version. Walking the parent chain (not
   * the thread) keeps a fork's values its own.
   */
  private async fillFromAncestors(checkpoint: Checkpoint, threadId: string, namespace: string, parentId: string): Promise<void> {
    checkpoint.channel_values ??= {};
    const values = checkpoint.channel_values as Record<string, unknown>;
    const missing = new Map(Object.entries(checkpoint.channel_versions ?? {}).filter(([ch]) => !Object.hasOwn(values, ch)));
    let next: string | null = parentId;
    while (missing.size > 0 && next !== null) {
      const ancestor = await this.hub.get({ threadId, namespace, id: next });
      if (!ancestor) return;
      const stored = (await this.load(ancestor.checkpoint)) as Checkpoint;
      for (const [ch, version] of missing) {
        if (stored.channel_versions?.[ch] !== version) continue;
        if (Object.hasOwn(stored.channel_values ?? {}, ch)) values[ch] = (stored.channel_values as Record<string, unknown>)[ch];
        else continue;
        missing.delete(ch);
      }
      next = ancestor.parentId;
    }
  }

  private async migratePendingSends(checkpoint: Checkpoint, threadId: string, namespace: string, parentId: string): Promise<void> {
    const parent = await this.hub.get({ threadId, namespace, id: parentId });
    const sends = await Promise.all((parent?.writes ?? []).filter((w) => w.channel === TASKS).map((w) => this.load(w.value)));
    checkpoint.channel_values ??= {};
    checkpoint.channel_values[TASKS] = sends;
    checkpoint.channel_versions ??= {};
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }

  private async dump(value: unknown): Promise<CheckpointBlob> {
    const [type, bytes] = await this.serde.dumpsTyped(value);
    return { type, data: Buffer.from(bytes).toString('base64') };
  }

  private load(blob: CheckpointBlob): Promise<unknown> {
    return this.serde.loadsTyped(blob.type, new Uint8Array(Buffer.from(blob.data, 'base64')));
  }
}

/** The checkpoint with the values of the channels that changed at its step only. */
function changedOnly(checkpoint: Checkpoint, newVersions: ChannelVersions): Checkpoint {
  const copy = copyCheckpoint(checkpoint);
  const values = copy.channel_values as Record<string, unknown>;
  for (const ch of Object.keys(values)) if (!Object.hasOwn(newVersions, ch)) delete values[ch];
  return copy;
}

/** Metadata and filters travel as JSON: undefined values drop out, as they would in any JSON store. */
function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value ?? {})) as T;
}
