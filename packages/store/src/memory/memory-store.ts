import type { AgentStore, CheckpointStore, EventLog, KeyValueStore, SessionStore, Store } from '@agent-hub/core';
import { CheckpointTable } from '../checkpoints/checkpoint-table.ts';
import { reportingUnavailable, storeClosedError } from '../store-unavailable.ts';
import { MemoryEventLog } from './memory-event-log.ts';
import { MemoryAgentStore, MemoryKeyValueStore } from './memory-registry.ts';
import { MemorySessionStore } from './memory-session-store.ts';

/** The store port in process memory, behaving exactly like the SQL adapters; for unit tests. */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly sessions: SessionStore;
  readonly events: EventLog;
  readonly agents: AgentStore;
  readonly kv: KeyValueStore;
  readonly checkpoints: CheckpointStore;
  private closed = false;

  constructor() {
    const isClosed = () => this.closed;
    this.sessions = reportingUnavailable(new MemorySessionStore(), isClosed);
    this.events = reportingUnavailable(new MemoryEventLog(), isClosed);
    this.agents = reportingUnavailable(new MemoryAgentStore(), isClosed);
    this.kv = reportingUnavailable(new MemoryKeyValueStore(), isClosed);
    this.checkpoints = reportingUnavailable(new CheckpointTable(), isClosed);
  }

  async ping(): Promise<void> {
    if (this.closed) throw storeClosedError();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
