import type {
  AgentInfo,
  DeadLetter,
  ErrorBody,
  Group,
  HealthTransition,
  HubEvent,
  Page,
  Priority,
  Session,
  SessionMessage,
  SessionWithHistory,
} from '@agent-hub/protocol';
import { AUDIT_TOPIC, type AgentSubscriptions, type AuditEntry, type MetricsHistory, type OperatorIdentity } from '@agent-hub/protocol';

/** When an operator's pick takes effect (docs/groups.md, "Operator picks and overrides"). */
export type PickTiming = 'now' | 'next-turn' | 'on-resume';

/** The hub answered 401: the token is wrong or was revoked. */
export class UnauthorizedError extends Error {
  constructor() {
    super('UNAUTHENTICATED');
    this.name = 'UnauthorizedError';
  }
}

/** Any other non-2xx answer, with the hub's stable error code when the body carried one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | null;
  /** The error body's `details`, when it carried any (e.g. the current status on a conflict). */
  readonly details: unknown;

  constructor(status: number, code: string | null, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

async function request<T>(path: string, token: string, method = 'GET', body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401) throw new UnauthorizedError();
  if (!res.ok) throw await toApiError(res);
  return (await res.json()) as T;
}

// The hub answers errors as `{ error: { code, message } }`.
async function toApiError(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => null)) as { error?: Partial<ErrorBody> } | null;
  const message = body?.error?.message ?? `${res.status} ${res.statusText}`;
  return new ApiError(res.status, body?.error?.code ?? null, message, body?.error?.details);
}

/** Checks a token against `GET /api/status`; network and server failures are thrown. */
export async function isTokenValid(token: string): Promise<boolean> {
  try {
    await request<unknown>('/api/status', token);
    return true;
  } catch (err) {
    if (err instanceof UnauthorizedError) return false;
    throw err;
  }
}

/** `GET /api/events`: the persisted log, oldest first, after `afterOffset`. */
export interface EventQuery {
  patterns?: string;
  minPriority?: Priority;
  from?: string;
  to?: string;
  afterOffset?: number;
  limit: number;
}

/** One `$hub:audit` entry with the event's offset (a stable React key). */
export type AuditRecord = AuditEntry & { offset: number };

export interface HubApi {
  /** Who the token is and what it may do (the dashboard hides what it may not). */
  getMe(): Promise<OperatorIdentity>;
  /** The audit log, newest first (the last `limit` entries). */
  listAudit(limit: number): Promise<AuditRecord[]>;
  getAgentHealth(id: string): Promise<{ agent: AgentInfo; history: HealthTransition[] }>;
  getAgentSubscriptions(id: string): Promise<AgentSubscriptions>;
  getMetricsHistory(): Promise<MetricsHistory>;
  listAgentSessions(agentId: string): Promise<Session[]>;
  listRecentTransitions(): Promise<HealthTransition[]>;
  queryEvents(query: EventQuery): Promise<HubEvent[]>;
  listSessions(): Promise<Page<Session>>;
  getSession(id: string): Promise<SessionWithHistory>;
  listDeadLetters(): Promise<DeadLetter[]>;
  /** Delivers the event again to the agent that dead-lettered it; answers the letter, now `retried`. */
  retryDeadLetter(id: string): Promise<DeadLetter>;
  discardDeadLetter(id: string): Promise<DeadLetter>;
  listGroups(): Promise<Group[]>;
  postGroupMessage(groupId: string, content: string): Promise<SessionMessage>;
  pauseGroup(groupId: string): Promise<Group>;
  resumeGroup(groupId: string): Promise<Group>;
  pickNextSpeaker(groupId: string, agentId: string): Promise<{ group: Group; appliesAt: PickTiming }>;
  endGroup(groupId: string): Promise<Group>;
}

/** REST calls with the operator token; a 401 from any of them signs the operator out. */
export function createHubApi(token: string, onUnauthorized: () => void): HubApi {
  async function call<T>(path: string, method = 'GET', body?: unknown): Promise<T> {
    try {
      return await request<T>(path, token, method, body);
    } catch (err) {
      if (err instanceof UnauthorizedError) onUnauthorized();
      throw err;
    }
  }
  const get = <T>(path: string) => call<T>(path);
  const group = (id: string, action = '') => `/api/groups/${encodeURIComponent(id)}${action}`;

  return {
    getMe: () => get('/api/me'),
    listAudit: async (limit) => {
      // The log answers oldest first after an offset: page to its end (at most 20 pages), keep the tail.
      let tail: HubEvent[] = [];
      let afterOffset = 0;
      for (let page = 0; page < 20; page++) {
        const params = new URLSearchParams({ patterns: AUDIT_TOPIC, limit: '1000', afterOffset: String(afterOffset) });
        const items = (await get<{ items: HubEvent[] }>(`/api/events?${params}`)).items;
        tail = [...tail, ...items].slice(-limit);
        if (items.length < 1000) break;
        afterOffset = items[items.length - 1]!.offset;
      }
      return tail.reverse().map((e) => ({ ...(e.payload as AuditEntry), offset: e.offset }));
    },
    getAgentHealth: (id) => get(`/api/agents/${encodeURIComponent(id)}/health`),
    getAgentSubscriptions: (id) => get(`/api/agents/${encodeURIComponent(id)}/subscriptions`),
    getMetricsHistory: () => get('/api/metrics/history'),
    listAgentSessions: async (agentId) => (await get<Page<Session>>(`/api/sessions?limit=100&agent=${encodeURIComponent(agentId)}`)).items,
    listRecentTransitions: async () => (await get<{ items: HealthTransition[] }>('/api/health/transitions')).items,
    queryEvents: async (query) => (await get<{ items: HubEvent[] }>(`/api/events?${eventSearch(query)}`)).items,
    listSessions: () => get<Page<Session>>('/api/sessions?limit=100'),
    getSession: (id) => get<SessionWithHistory>(`/api/sessions/${encodeURIComponent(id)}?history=true`),
    listDeadLetters: async () => itemsOf(await get<DeadLetter[] | Page<DeadLetter>>('/api/deadletters')),
    retryDeadLetter: (id) => call<DeadLetter>(`/api/deadletters/${encodeURIComponent(id)}/retry`, 'POST'),
    discardDeadLetter: (id) => call<DeadLetter>(`/api/deadletters/${encodeURIComponent(id)}/discard`, 'POST'),
    listGroups: async () => (await get<{ items: Group[] }>('/api/groups')).items,
    postGroupMessage: (id, content) => call<SessionMessage>(group(id, '/messages'), 'POST', { content }),
    pauseGroup: (id) => call<Group>(group(id, '/pause'), 'POST'),
    resumeGroup: (id) => call<Group>(group(id, '/resume'), 'POST'),
    pickNextSpeaker: (id, agentId) => call<{ group: Group; appliesAt: PickTiming }>(group(id, '/next'), 'POST', { agentId }),
    endGroup: (id) => call<Group>(group(id, '/end'), 'POST'),
  };
}

function eventSearch(query: EventQuery): string {
  const params = new URLSearchParams({ limit: String(query.limit) });
  if (query.patterns) params.set('patterns', query.patterns);
  if (query.minPriority) params.set('minPriority', query.minPriority);
  if (query.from) params.set('from', query.from);
  if (query.to) params.set('to', query.to);
  if (query.afterOffset !== undefined) params.set('afterOffset', String(query.afterOffset));
  return params.toString();
}

// Lists may come bare or paginated; the dashboard only needs the items.
function itemsOf<T>(body: T[] | Page<T>): T[] {
  return Array.isArray(body) ? body : body.items;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The hub's stable code first, so operators can look it up in the docs. */
export function errorWithCode(err: unknown): string {
  if (err instanceof ApiError && err.code) return `${err.code}: ${err.message}`;
  return errorMessage(err);
}
