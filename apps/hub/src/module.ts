import type { Socket } from 'socket.io';
import type { ApiMount } from './http/app.ts';
import type { AgentSocketMount } from './sockets/agents-namespace.ts';
import type { OperatorFeed } from './sockets/operators-namespace.ts';

/**
 * A capability plugged into the hub (sessions, events, health, groups): its HTTP routes, its agent
 * socket handlers, its dashboard feed, and its lifecycle. The composition root wires the list.
 */
export interface HubModule {
  name: string;
  api?: ApiMount;
  agentSocket?: AgentSocketMount;
  operatorFeed?: OperatorFeed;
  onAgentRegistered?: (socket: Socket, agentId: string) => void;
  onAgentDisconnected?: (socket: Socket, agentId: string, reason: string) => void;
  /** Runs after the store is open, before the hub listens. */
  start?: () => Promise<void> | void;
  /** Called at shutdown after sockets stop: flush what was accepted, stop timers. */
  close?: () => Promise<void> | void;
}
