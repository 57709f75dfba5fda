import type { AgentInfo } from '@agent-hub/protocol';

/** A connected, healthy agent's record for tests; `o` overrides any field. */
export function agentInfo(id: string, o: Partial<AgentInfo> = {}): AgentInfo {
  return {
    id,
    name: id,
    capabilities: [],
    priority: 0,
    recovery: 'alert',
    health: 'healthy',
    connected: true,
    connectedSince: null,
    lastSeenAt: null,
    lastLivenessAt: null,
    recoveries: 0,
    degraded: null,
    node: 'test',
    meta: {},
    ...o,
  };
}
