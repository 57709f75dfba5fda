import { join } from 'node:path';
import type { HubEvent } from '@agent-hub/protocol';
import { listFiles, removeIfExists } from './atomic-file.ts';
import { JsonLinesFile } from './json-lines-file.ts';

const SEGMENT_SUFFIX = '.jsonl';

/** An event as the log keeps it in memory: time in ms, payload serialised once. */
export interface EventRow {
  event: Omit<HubEvent, 'payload'>;
  tsMs: number;
  payloadJson: string;
  segment: string;
}

/**
 * The `events/` folder: one append-only JSONL file per UTC hour of event time
 * (`2030-01-01T13.jsonl`). Hours, not topics, because retention cuts by time: an hour wholly
 * before the cutoff is one unlink, and topics (unbounded in number) would each need a rewrite.
 */
export class EventSegments {
  constructor(private readonly dir: string) {}

  /** The segment an event belongs to, by its time. */
  static segmentOf(tsMs: number): string {
    return new Date(tsMs).toISOString().slice(0, 13);
  }

  async loadAll(): Promise<EventRow[]> {
    const names = (await listFiles(this.dir)).filter((n) => n.endsWith(SEGMENT_SUFFIX));
    const rows: EventRow[] = [];
    for (const name of names) {
      const segment = name.slice(0, -SEGMENT_SUFFIX.length);
      for (const stored of await this.file(segment).load()) rows.push(toRow(stored as HubEvent, segment));
    }
    return rows;
  }

  append(segment: string, rows: EventRow[]): Promise<void> {
    return this.file(segment).append(rows.map(toLine));
  }

  /** Leaves exactly `rows` in the segment (removing the file when none are left). */
  async rewrite(segment: string, rows: EventRow[]): Promise<void> {
    if (rows.length === 0) await removeIfExists(this.file(segment).path);
    else await this.file(segment).rewrite(rows.map(toLine));
  }

  private file(segment: string): JsonLinesFile {
    return new JsonLinesFile(join(this.dir, `${segment}${SEGMENT_SUFFIX}`));
  }
}

export function toRow(e: HubEvent, segment?: string): EventRow {
  const { payload, ...event } = e;
  const tsMs = Date.parse(event.ts);
  // Normalised as a timestamptz column gives it back.
  const ts = new Date(tsMs).toISOString();
  return { event: { ...event, ts }, tsMs, payloadJson: JSON.stringify(payload ?? null), segment: segment ?? EventSegments.segmentOf(tsMs) };
}

export function toEvent(r: EventRow): HubEvent {
  return { ...r.event, payload: JSON.parse(r.payloadJson) };
}

function toLine(r: EventRow): string {
  // The payload is spliced in as stored, not parsed and printed again.
  const head = JSON.stringify(r.event);
  return `${head.slice(0, -1)},"payload":${r.payloadJson}}`;
}
