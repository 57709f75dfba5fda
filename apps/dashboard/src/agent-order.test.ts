import { describe, expect, it } from 'vitest';
import type { AgentInfo, HealthState, HealthTransition } from '@agent-hub/protocol';
import { byProblemThenName, countByHealth } from './agent-order.ts';
import { hubReducer, initialHubState } from './hub-state.ts';

function agent(id: string, health: HealthState, name = 'Example agent'): AgentInfo {
  return {
    id,
    name,
    capabilities: [],
    priority: 0,
    recovery: 'alert',
    health,
    connected: health !== 'disconnected',
    connectedSince: null,
    lastSeenAt: null,
    lastLivenessAt: null,
    recoveries: 0,
    degraded: null,
    node: null,
    meta: {},
  };
}

function transition(agentId: string, at: string, to: HealthState, from: HealthState | null = null): HealthTransition {
  return { agentId, at, from, to, reason: 'test' };
}

describe('agent ordering', () => {
  it('puts failed, zombie, recovering, suspect and disconnected agents before healthy ones', () => {
    const rows = [
      agent('a', 'healthy'),
      agent('b', 'disconnected'),
      agent('c', 'suspect'),
      agent('d', 'recovering'),
      agent('e', 'zombie'),
      agent('f', 'failed'),
    ].sort(byProblemThenName);
    expect(rows.map((r) => r.id)).toEqual(['f', 'e', 'd', 'c', 'b', 'a']);
  });

  it('orders agents with the same name and state by id', () => {
    const rows = [agent('z', 'healthy'), agent('m', 'healthy'), agent('a', 'healthy')].sort(byProblemThenName);
    expect(rows.map((r) => r.id)).toEqual(['a', 'm', 'z']);
  });

  it('counts agents by state', () => {
    const counts = countByHealth([agent('a', 'healthy'), agent('b', 'healthy'), agent('c', 'failed')]);
    expect(counts.healthy).toBe(2);
    expect(counts.failed).toBe(1);
    expect(counts.zombie).toBe(0);
  });
});

describe('health timeline state', () => {
  it('keeps the timeline newest first whatever order REST and the socket deliver in', () => {
    const live = transition('b', '2026-01-01T00:00:03.000Z', 'disconnected', 'healthy');
    const seeded = [
      transition('a', '2026-01-01T00:00:04.000Z', 'suspect', 'healthy'),
      transition('b', '2026-01-01T00:00:02.000Z', 'healthy', 'connecting'),
      transition('b', '2026-01-01T00:00:01.000Z', 'connecting'),
    ];
    let state = hubReducer(initialHubState, { type: 'health:transition', transition: live });
    state = hubReducer(state, { type: 'transitions:seed', transitions: [...seeded, live] });
    expect(state.transitions.map((t) => t.at)).toEqual([
      '2026-01-01T00:00:04.000Z',
      '2026-01-01T00:00:03.000Z',
      '2026-01-01T00:00:02.000Z',
      '2026-01-01T00:00:01.000Z',
    ]);
  });

  it('keeps same-millisecond transitions in the order they happened, newest first', () => {
    const at = '2026-01-01T00:00:01.000Z';
    let state = hubReducer(initialHubState, { type: 'health:transition', transition: transition('a', at, 'connecting') });
    state = hubReducer(state, { type: 'health:transition', transition: transition('a', at, 'healthy', 'connecting') });
    expect(state.transitions.map((t) => t.to)).toEqual(['healthy', 'connecting']);
  });
});
