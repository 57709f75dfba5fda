import type { DeadLetterStatusChange, EventLog, EventQuery } from '@agent-hub/core';
import type { DeadLetter, DeadLetterStatus, HubEvent } from '@agent-hub/protocol';
import {
  newestFirst,
  transition,
  withStatus,
  readMatchingRows,
  topicMatcher,
  jsonCopy,
  offsetsOf,
  freshEvents,
} from '@agent-hub/core/store-kit';
import { EventSegments, toEvent, toRow, type EventRow } from './event-segments.ts';
import type { JsonLinesFile } from './json-lines-file.ts';
import { SerialQueues } from './serial-queues.ts';
import type { SnapshotFile } from './snapshot-file.ts';

interface StatusLine {
  id: string;
  status: DeadLetterStatus;
  by: string | null;
  at: string | null;
}

export interface EventLogFiles {
  segments: EventSegments;
  deadLetters: JsonLinesFile;
  /**
   * Status changes of dead letters, one line each (`{id, status, by, at}`), applied in order at
   * load: a file of its own, so the letters file stays what older hubs read.
   */
  deadLetterStatus: JsonLinesFile;
  /** Where the agent offsets are saved; rendered from `offsets` on every save. */
  offsetsFile: (render: () => string) => SnapshotFile;
  offsets: Record<string, number>;
}

/**
 * The event log as hourly JSONL segments, served from memory: the whole retained log is loaded at
 * open (retention keeps it bounded), and every change reaches disk before it counts.
 */
export class FileEventLog implements EventLog {
  /** Ascending by offset. */
  private rows: EventRow[] = [];
  /** Event id → the offset it is stored under. */
  private readonly ids = new Map<string, number>();
  private readonly taken = new Set<number>();
  private readonly offsets: Map<string, number>;
  private readonly offsetsFile: SnapshotFile;
  private readonly deadLetters = new Map<string, DeadLetter>();
  /** Log writes (appends, retention) one at a time; dead letters have a queue of their own. */
  private readonly queue = new SerialQueues();

  private constructor(private readonly files: EventLogFiles) {
    this.offsets = new Map(Object.entries(files.offsets));
    this.offsetsFile = files.offsetsFile(() => JSON.stringify(Object.fromEntries(this.offsets)));
  }

  static async load(files: EventLogFiles): Promise<FileEventLog> {
    const log = new FileEventLog(files);
    const seen = new Set<string>();
    log.add((await files.segments.loadAll()).filter((r) => !seen.has(r.event.id) && seen.add(r.event.id)));
    for (const d of (await files.deadLetters.load()) as DeadLetter[]) {
      if (!log.deadLetters.has(d.id)) log.deadLetters.set(d.id, withStatus(d));
    }
    for (const c of (await files.deadLetterStatus.load()) as StatusLine[]) {
      const d = log.deadLetters.get(c.id);
      if (d) log.deadLetters.set(c.id, { ...d, status: c.status, resolvedBy: c.by, resolvedAt: c.at });
    }
    return log;
  }

  appendEvents(batch: HubEvent[]): Promise<string[]> {
    return this.queue.run('log', async () => {
      const fresh = freshEvents(batch, this.ids, this.taken);
      for (const [segment, rows] of groupBySegment(fresh.map((e) => toRow(e)))) {
        await this.files.segments.append(segment, rows);
        this.add(rows);
      }
      return fresh.map((e) => e.id);
    });
  }

  async maxOffset(): Promise<number> {
    return this.rows.at(-1)?.event.offset ?? 0;
  }

  async hasEvent(id: string): Promise<boolean> {
    return this.ids.has(id);
  }

  async offsetsOf(ids: string[]): Promise<Map<string, number>> {
    return offsetsOf(this.ids, ids);
  }

  async readEvents(q: EventQuery): Promise<HubEvent[]> {
    return readMatchingRows(this.rows, q).map(toEvent);
  }

  deleteEventsBefore(before: number, pattern?: string): Promise<number> {
    const matchesTopic = topicMatcher(pattern === undefined ? undefined : [pattern]);
    return this.queue.run('log', async () => {
      const doomed = new Set(this.rows.filter((r) => r.tsMs < before && matchesTopic(r.event.topic)));
      const touched = new Set([...doomed].map((r) => r.segment));
      const gone = new Set<EventRow>();
      try {
        for (const [segment, rows] of groupBySegment(this.rows)) {
          if (!touched.has(segment)) continue;
          // An hour wholly before the cutoff is left empty, and its file removed.
          await this.files.segments.rewrite(
            segment,
            rows.filter((r) => !doomed.has(r)),
          );
          for (const r of rows) if (doomed.has(r)) gone.add(r);
        }
      } finally {
        // Forget exactly the events whose segment no longer holds them, even if a later one failed.
        this.forget(gone);
      }
      return gone.size;
    });
  }

  async getAgentOffset(agentId: string): Promise<number | null> {
    return this.offsets.get(agentId) ?? null;
  }

  async setAgentOffset(agentId: string, offset: number): Promise<void> {
    this.offsets.set(agentId, Math.max(offset, this.offsets.get(agentId) ?? offset));
    await this.offsetsFile.save();
  }

  addDeadLetter(d: DeadLetter): Promise<void> {
    return this.queue.run('dead-letters', async () => {
      if (this.deadLetters.has(d.id)) return;
      const stored = withStatus({ ...d, at: new Date(d.at).toISOString() });
      await this.files.deadLetters.append([JSON.stringify(stored)]);
      this.deadLetters.set(d.id, stored);
    });
  }

  async listDeadLetters(limit: number, filter: { status?: DeadLetterStatus } = {}): Promise<DeadLetter[]> {
    return newestFirst(this.deadLetters.values(), limit, filter.status).map(jsonCopy);
  }

  async getDeadLetter(id: string): Promise<DeadLetter | null> {
    const d = this.deadLetters.get(id);
    return d ? jsonCopy(d) : null;
  }

  setDeadLetterStatus(id: string, from: DeadLetterStatus, change: DeadLetterStatusChange): Promise<DeadLetter> {
    // The dead-letters queue: the check and the write it guards are never interleaved.
    return this.queue.run('dead-letters', async () => {
      const next = transition(this.deadLetters, id, from, change);
      const line: StatusLine = { id, status: next.status, by: next.resolvedBy, at: next.resolvedAt };
      await this.files.deadLetterStatus.append([JSON.stringify(line)]);
      this.deadLetters.set(id, next);
      return jsonCopy(next);
    });
  }

  async drain(): Promise<void> {
    await this.queue.drain();
    await this.offsetsFile.drain();
  }

  private add(rows: EventRow[]): void {
    const last = this.rows.at(-1)?.event.offset ?? -Infinity;
    for (const r of rows) {
      this.rows.push(r);
      this.ids.set(r.event.id, r.event.offset);
      this.taken.add(r.event.offset);
    }
    // The hub appends in offset order; only an out-of-order batch pays for a sort.
    if (rows.some((r) => r.event.offset < last) || !ascending(rows)) {
      this.rows.sort((a, b) => a.event.offset - b.event.offset);
    }
  }

  private forget(gone: Set<EventRow>): void {
    if (gone.size === 0) return;
    this.rows = this.rows.filter((r) => !gone.has(r));
    for (const r of gone) {
      this.ids.delete(r.event.id);
      this.taken.delete(r.event.offset);
    }
  }
}

function ascending(rows: EventRow[]): boolean {
  return rows.every((r, i) => i === 0 || rows[i - 1]!.event.offset < r.event.offset);
}

/** Index of the first row with offset > `offset` (rows ascending by offset). */
function groupBySegment(rows: EventRow[]): Map<string, EventRow[]> {
  const groups = new Map<string, EventRow[]>();
  for (const r of rows) {
    const group = groups.get(r.segment);
    if (group) group.push(r);
    else groups.set(r.segment, [r]);
  }
  return groups;
}
