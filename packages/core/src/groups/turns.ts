import { messageText } from '@agent-hub/protocol';
import type { GroupMessageEvent, HandoffVerdict, Priority, RotationEntry, SessionMessage } from '@agent-hub/protocol';
import type { IdGenerator } from '../ports/ids.ts';
import { recordDecision, type GroupState } from './group-state.ts';
import type { GroupTransport } from './group-transport.ts';
import { onGranted, onSpoken } from './throttle.ts';

/** What a committed change must do next: decisions to publish, agents to tell. Run only after commit. */
export class Effects {
  readonly decisions: RotationEntry[] = [];
  readonly notices: Array<{ event: string } & Record<string, unknown>> = [];
  readonly after: Array<() => void | Promise<void>> = [];
}

export interface TurnEnv {
  now: number;
  newId: IdGenerator;
  transport: GroupTransport;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Gives `agentId` the next turn: a fresh turn id and deadline, told to that agent alone. */
export function grant(d: GroupState, fx: Effects, env: TurnEnv, agentId: string, reason: string, handoff?: HandoffVerdict): void {
  d.turn++;
  const turnId = env.newId();
  const deadlineAt = iso(env.now + d.settings.turnTimeoutMs);
  d.current = { agentId, turnId, turn: d.turn, grantedAt: iso(env.now), deadlineAt, previousBefore: d.previousId };
  d.previousId = agentId;
  d.lastGranted[agentId] = d.turn;
  d.waiting = null;
  if (d.pendingPick === agentId) d.pendingPick = null;
  // A critical message buys its author an exemption at one selection, used or not.
  d.criticalAgentId = null;
  // A handoff counts for the turn right after its speaker, whether it was followed or not.
  d.handoff = null;
  onGranted(d.throttle, agentId);
  const entry = recordDecision(d, agentId, 'granted', reason, iso(env.now));
  if (handoff) entry.handoff = handoff;
  fx.decisions.push(entry);
  const payload = { groupId: d.id, turnId, turn: d.turn, deadlineAt };
  fx.after.push(() => env.transport.grantTurn(agentId, payload));
}

/** The current speaker loses its turn (silent, unhealthy, gone); the rotation moves past it. */
export function skip(d: GroupState, fx: Effects, env: TurnEnv, reason: string): void {
  const cur = d.current;
  if (!cur) return;
  d.current = null;
  fx.decisions.push(recordDecision(d, cur.agentId, 'skipped', reason, iso(env.now), cur.turn));
}

/** Takes the turn back without moving the rotation on (pause): the same seat is next again. */
export function withdraw(d: GroupState, fx: Effects, env: TurnEnv, reason: string): void {
  const cur = d.current;
  if (!cur) return;
  d.previousId = cur.previousBefore;
  skip(d, fx, env, reason);
}

export function spoken(d: GroupState, fx: Effects, env: TurnEnv, message: SessionMessage, priority: Priority, handoff?: string): void {
  const cur = d.current!;
  d.current = null;
  d.handoff = handoff ? { from: cur.agentId, to: handoff } : null;
  d.spokenTurns++;
  d.lastSpeakerId = cur.agentId;
  onSpoken(d.throttle, cur.agentId, d.settings);
  if (priority === 'critical') d.criticalAgentId = cur.agentId;
  fx.decisions.push(recordDecision(d, cur.agentId, 'spoken', priority === 'critical' ? 'critical' : null, iso(env.now), cur.turn));
  const payload: GroupMessageEvent = { groupId: d.id, message };
  fx.after.push(() => env.transport.broadcast(d.id, 'group:message', payload));
  const word = d.settings.stopWord;
  if (word !== null && containsWord(messageText(message), word)) endGroup(d, fx, env, `stop word "${word}"`);
  else if (d.spokenTurns >= d.settings.maxTurns) endGroup(d, fx, env, `max turns reached (${d.settings.maxTurns})`);
}

export function endGroup(d: GroupState, fx: Effects, env: TurnEnv, reason: string): void {
  skip(d, fx, env, `group ended: ${reason}`);
  d.status = 'ended';
  d.endedReason = reason;
  d.pendingPick = null;
  d.waiting = null;
  fx.notices.push({ event: 'ended', reason });
  fx.after.push(() => env.transport.ended(d.id, reason));
}

/** Whole-word, case-insensitive: "TERMINATE." ends a group, "terminated" does not. */
export function containsWord(text: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\p{L}\\p{N}_])${escaped}($|[^\\p{L}\\p{N}_])`, 'iu').test(text);
}
