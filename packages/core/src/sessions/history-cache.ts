import type { SessionMessage } from '@agent-hub/protocol';
import { LruMap } from './lru-map.ts';

/**
 * LRU of hot sessions' histories. Messages are append-only and numbered, so a cached prefix is
 * never wrong: a reader checks the session row (always read fresh) and fetches only the messages
 * after the cached ones. Correct under concurrent writers, in this process or another hub's.
 */
export class HistoryCache {
  private readonly entries: LruMap<string, SessionMessage[]>;

  constructor(private readonly capacity: number) {
    this.entries = new LruMap(capacity);
  }

  get(id: string): SessionMessage[] | undefined {
    return this.entries.touch(id);
  }

  /** Extends the cached history; a gap (messages not following the cached ones) drops the entry. */
  extend(id: string, messages: SessionMessage[], fromScratch = false): void {
    if (this.capacity === 0) return;
    const current = fromScratch ? [] : (this.entries.get(id) ?? null);
    if (current === null) return;
    const lastSeq = current.length ? current[current.length - 1]!.seq : 0;
    if (messages.length && messages[0]!.seq !== lastSeq + 1) {
      this.entries.delete(id);
      return;
    }
    this.entries.set(id, current.concat(messages));
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}
