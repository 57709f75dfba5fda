import type { AgentInfo, DeadLetter, Group, HealthTransition, HubEvent, HubStatus, Session } from '@agent-hub/protocol';
import { mergeTransitions, newestFirst } from './agent-order.ts';
import { recordArrivals, type ArrivalBucket } from './throughput.ts';

// Bounds from the dashboard spec: what an operator can scan, and what keeps re-renders cheap.
export const TIMELINE_MAX = 50;
export const EVENTS_MAX = 200;
export const DEAD_LETTERS_MAX = 500;

export interface HubState {
  agents: Record<string, AgentInfo>;
  hubStatus: HubStatus | null;
  /** Newest first. */
  transitions: HealthTransition[];
  sessions: Record<string, Session>;
  sessionsLoaded: boolean;
  /** When a live session change arrived (null: removed), so a slower REST seed cannot undo it. */
  sessionLiveAt: Record<string, { at: number; removed: boolean }>;
  /** Newest first. */
  events: HubEvent[];
  arrivals: ArrivalBucket[];
  /** Newest first. */
  deadLetters: DeadLetter[];
  groups: Record<string, Group>;
  groupsLoaded: boolean;
  loadError: string | null;
}

export type HubAction =
  | { type: 'agents:snapshot'; agents: AgentInfo[] }
  | { type: 'agent:update'; agent: AgentInfo }
  | { type: 'agent:removed'; id: string }
  | { type: 'health:transition'; transition: HealthTransition }
  | { type: 'transitions:seed'; transitions: HealthTransition[] }
  | { type: 'hub:status'; status: HubStatus }
  | { type: 'sessions:seed'; sessions: Session[]; requestedAt: number }
  | { type: 'session:update'; session: Session; at: number }
  | { type: 'session:removed'; id: string; at: number }
  | { type: 'events:received'; events: HubEvent[]; count: number; at: number }
  | { type: 'deadletters:seed'; deadLetters: DeadLetter[] }
  | { type: 'deadletter:new'; deadLetter: DeadLetter }
  | { type: 'deadletter:update'; deadLetter: DeadLetter }
  | { type: 'groups:seed'; groups: Group[] }
  | { type: 'group:update'; group: Group }
  | { type: 'load:failed'; message: string };

export const initialHubState: HubState = {
  agents: {},
  hubStatus: null,
  transitions: [],
  sessions: {},
  sessionsLoaded: false,
  sessionLiveAt: {},
  events: [],
  arrivals: [],
  deadLetters: [],
  groups: {},
  groupsLoaded: false,
  loadError: null,
};

export function hubReducer(state: HubState, action: HubAction): HubState {
  switch (action.type) {
    case 'agents:snapshot':
      return { ...state, agents: Object.fromEntries(action.agents.map((a) => [a.id, a])) };
    case 'agent:update':
      return { ...state, agents: { ...state.agents, [action.agent.id]: action.agent } };
    case 'agent:removed':
      return { ...state, agents: without(state.agents, action.id) };
    case 'health:transition':
      return { ...state, transitions: timeline([action.transition], state.transitions) };
    case 'transitions:seed':
      // What the socket brought is at least as new as the REST copy, so it goes first among equals.
      return { ...state, transitions: timeline(state.transitions, action.transitions) };
    case 'hub:status':
      return { ...state, hubStatus: action.status };
    case 'sessions:seed':
      return seedSessions(state, action.sessions, action.requestedAt);
    case 'session:update':
      return {
        ...state,
        sessions: { ...state.sessions, [action.session.id]: action.session },
        sessionLiveAt: { ...state.sessionLiveAt, [action.session.id]: { at: action.at, removed: false } },
      };
    case 'session:removed':
      return {
        ...state,
        sessions: without(state.sessions, action.id),
        sessionLiveAt: { ...state.sessionLiveAt, [action.id]: { at: action.at, removed: true } },
      };
    case 'events:received':
      return {
        ...state,
        events: [...action.events, ...state.events].slice(0, EVENTS_MAX),
        arrivals: recordArrivals(state.arrivals, action.at, action.count),
      };
    case 'deadletters:seed':
      return { ...state, deadLetters: mergeDeadLetters(action.deadLetters, state.deadLetters) };
    // A new letter, or a status change: the incoming copy replaces the one held (the merge keeps
    // the first it sees).
    case 'deadletter:new':
    case 'deadletter:update':
      return { ...state, deadLetters: mergeDeadLetters([action.deadLetter], state.deadLetters) };
    case 'groups:seed':
      return { ...state, groups: mergeGroups(state.groups, action.groups), groupsLoaded: true };
    case 'group:update':
      return { ...state, groups: mergeGroups(state.groups, [action.group]) };
    case 'load:failed':
      return { ...state, loadError: action.message };
  }
}

/** The REST list is the base; live changes that arrived after it was requested override it. */
function seedSessions(state: HubState, fetched: Session[], requestedAt: number): HubState {
  const sessions: Record<string, Session> = Object.fromEntries(fetched.map((s) => [s.id, s]));
  for (const [id, live] of Object.entries(state.sessionLiveAt)) {
    if (live.at < requestedAt) continue;
    const current = state.sessions[id];
    if (live.removed) delete sessions[id];
    else if (current && current.version >= (sessions[id]?.version ?? 0)) sessions[id] = current;
  }
  return { ...state, sessions, sessionsLoaded: true, sessionLiveAt: {}, loadError: null };
}

function mergeDeadLetters(incoming: DeadLetter[], existing: DeadLetter[]): DeadLetter[] {
  const seen = new Set<string>();
  const merged: DeadLetter[] = [];
  for (const d of [...incoming, ...existing]) {
    if (seen.has(d.id)) continue;
    seen.add(d.id);
    merged.push(d);
  }
  merged.sort((a, b) => b.at.localeCompare(a.at));
  return merged.slice(0, DEAD_LETTERS_MAX);
}

// Every group write bumps its store version, so the REST seed and the live feed can arrive in any
// order: the higher version is the newer copy.
function mergeGroups(current: Record<string, Group>, incoming: Group[]): Record<string, Group> {
  const next = { ...current };
  for (const g of incoming) {
    const known = next[g.id];
    if (!known || g.version >= known.version) next[g.id] = g;
  }
  return next;
}

function timeline(newer: HealthTransition[], older: HealthTransition[]): HealthTransition[] {
  return newestFirst(mergeTransitions(newer, older)).slice(0, TIMELINE_MAX);
}

function without<T>(record: Record<string, T>, id: string): Record<string, T> {
  if (!(id in record)) return record;
  const { [id]: _removed, ...rest } = record;
  return rest;
}
