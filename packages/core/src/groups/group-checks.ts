import { GROUP_SIZE, HubError } from '@agent-hub/protocol';
import type { GroupState } from './group-state.ts';

/** The typed refusals of group operations, in one place so HTTP and sockets report them alike. */
export function checkSize(n: number): void {
  if (n < GROUP_SIZE.min || n > GROUP_SIZE.max) throw sizeError(n);
}

export function sizeError(n: number): HubError {
  return new HubError('GROUP_SIZE_INVALID', `a group seats ${GROUP_SIZE.min} to ${GROUP_SIZE.max} agents, not ${n}`, {
    min: GROUP_SIZE.min,
    max: GROUP_SIZE.max,
    size: n,
  });
}

export function checkTransitions(members: string[], map: Record<string, string[]> | undefined): void {
  if (!map) return;
  const strangers = [...new Set([...Object.keys(map), ...Object.values(map).flat()])].filter((id) => !members.includes(id));
  if (strangers.length) {
    throw new HubError('VALIDATION_FAILED', `allowedTransitions names agents that are not members: ${strangers.join(', ')}`, { strangers });
  }
}

export function checkOpen(s: GroupState): void {
  if (s.status === 'ended') throw endedError(s);
}

export function checkMember(s: GroupState, agentId: string): void {
  if (!s.members.includes(agentId)) throw notMemberError(s.id, agentId);
}

/** Only the holder of the outstanding turn, quoting its turn id, may speak. */
export function checkTurn(s: GroupState, agentId: string, turnId: string): void {
  checkOpen(s);
  if (s.status === 'paused') throw new HubError('GROUP_PAUSED', `group ${s.id} is paused`);
  checkMember(s, agentId);
  if (s.current?.agentId !== agentId || s.current.turnId !== turnId) {
    throw new HubError('GROUP_NOT_YOUR_TURN', `it is not ${agentId}'s turn ${turnId} in group ${s.id}`, {
      current: s.current ? { agentId: s.current.agentId, turn: s.current.turn } : null,
    });
  }
}

function endedError(s: GroupState): HubError {
  return new HubError('GROUP_ENDED', `group ${s.id} has ended: ${s.endedReason}`);
}

export function notMemberError(groupId: string, agentId: string): HubError {
  return new HubError('GROUP_NOT_MEMBER', `${agentId} is not a member of group ${groupId}`);
}
