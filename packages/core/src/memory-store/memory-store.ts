import { CheckpointTable } from '../store-kit/checkpoint-table.ts';
import { StoreShell } from '../store-kit/store-shell.ts';
import { MemoryEventLog } from './memory-event-log.ts';
import { MemoryAgentStore, MemoryKeyValueStore } from './memory-registry.ts';
import { MemorySessionStore } from './memory-session-store.ts';

/**
 * The store port in process memory, behaving exactly like the SQL adapters (the store contract
 * suite runs against it); for unit tests, core's included, and `STORE=memory`.
 */
export class MemoryStore extends StoreShell {
  readonly kind = 'memory' as const;

  constructor() {
    super({
      sessions: new MemorySessionStore(),
      events: new MemoryEventLog(),
      agents: new MemoryAgentStore(),
      kv: new MemoryKeyValueStore(),
      checkpoints: new CheckpointTable(),
      ping: async () => {},
      release: async () => {},
    });
  }
}
