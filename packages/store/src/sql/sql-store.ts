import type { AgentStore, CheckpointStore, EventLog, KeyValueStore, SessionStore, Store } from '@agent-hub/core';
import { sql } from 'drizzle-orm';
import { reportingUnavailable } from '../store-unavailable.ts';
import { SqlAgentStore } from './sql-agent-store.ts';
import { SqlCheckpointStore } from './sql-checkpoint-store.ts';
import type { SqlDatabase } from './sql-database.ts';
import { SqlEventLog } from './sql-event-log.ts';
import { SqlKeyValueStore } from './sql-kv-store.ts';
import { SqlSessionStore } from './sql-session-store.ts';

/**
 * The one SQL implementation of the store port, for any Drizzle PostgreSQL database; the PGlite
 * and postgres.js adapters only open the driver, migrate, and say how to release it.
 */
export class SqlStore implements Store {
  readonly sessions: SessionStore;
  readonly events: EventLog;
  readonly agents: AgentStore;
  readonly kv: KeyValueStore;
  readonly checkpoints: CheckpointStore;
  private readonly probe: { ping(): Promise<void> };
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    readonly kind: 'pglite' | 'postgres',
    db: SqlDatabase,
    private readonly release: () => Promise<void>,
  ) {
    const isClosed = () => this.closed;
    this.sessions = reportingUnavailable(new SqlSessionStore(db), isClosed);
    this.events = reportingUnavailable(new SqlEventLog(db), isClosed);
    this.agents = reportingUnavailable(new SqlAgentStore(db), isClosed);
    this.kv = reportingUnavailable(new SqlKeyValueStore(db), isClosed);
    this.checkpoints = reportingUnavailable(new SqlCheckpointStore(db), isClosed);
    const selectOne = async () => {
      await db.execute(sql`select 1`);
    };
    this.probe = reportingUnavailable({ ping: selectOne }, isClosed);
  }

  ping(): Promise<void> {
    return this.probe.ping();
  }

  /** Idempotent: later calls wait for the first one. */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= this.release();
    return this.closing;
  }
}
