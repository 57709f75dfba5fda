import type { ApiMount } from './http/app.ts';
import type { AgentEventTable, AgentSocket } from './sockets/handler.ts';
import type { OperatorFeed } from './sockets/operators-namespace.ts';

/**
 * A capability plugged into the hub (sessions, events, health, groups): its HTTP routes, its agent
 * event handlers, its dashboard feed, and its lifecycle. The composition root wires the list.
 */
export interface HubModule {
  name: string;
  api?: ApiMount;
  /** The agent events this capability answers, keyed by the protocol's event names. */
  agentEvents?: AgentEventTable;
  operatorFeed?: OperatorFeed;
  /** Per-connection set-up, before the connection's first event is handled. */
  onAgentConnected?: (socket: AgentSocket) => void;
  /** Every agent connection's end (also one replaced by a newer connection). */
  onAgentClosed?: (socket: AgentSocket) => void;
  onAgentRegistered?: (socket: AgentSocket, agentId: string) => void;
  onAgentDisconnected?: (socket: AgentSocket, agentId: string, reason: string) => void;
  /** Runs after the store is open, before the hub listens. */
  start?: () => Promise<void> | void;
  /** Called at shutdown after sockets stop: flush what was accepted, stop timers. */
  close?: () => Promise<void> | void;
}
