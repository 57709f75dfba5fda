import type { JournaledWrite, OutboxJournal } from '../write-outbox.ts';

/** An outbox journal kept in memory, for tests of the outbox and the services above it. */
export class MemoryJournal implements OutboxJournal {
  entries: JournaledWrite[] = [];
  async load() {
    return [...this.entries];
  }
  async append(e: JournaledWrite) {
    this.entries.push(e);
  }
  async rewrite(remaining: JournaledWrite[]) {
    this.entries = [...remaining];
  }
}

/** Lets chained promises and I/O callbacks run: a few turns of the event loop. */
export const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};
