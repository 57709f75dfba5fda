import type { PublishEvent } from '@agent-hub/protocol';

/**
 * Where unconfirmed publishes outlive the process (optional). The SDK's core keeps them in
 * memory; a journal lets a restarted agent re-send what its previous run never heard was
 * durable, under the same ids (the hub's log dedupes them). Implementations must be cheap:
 * `add` and `remove` run once per publish. See `FileJournal` for Node.
 */
export interface PublishJournal {
  /** Publishes added and not removed, oldest first (read once, at start). */
  load(): PublishEvent[] | Promise<PublishEvent[]>;
  add(p: PublishEvent & { id: string }): void;
  /** The hub confirmed it durable, or the caller was told it failed. */
  remove(id: string): void;
  close?(): void | Promise<void>;
}
