import { useEffect, useState } from 'react';
import type { AgentInfo, DeadLetter, HealthTransition, Session } from '@agent-hub/protocol';
import { isProblem, mergeTransitions, newestFirst } from '../agent-order.ts';
import { errorWithCode, type HubApi } from '../api.ts';
import { formatAgo, formatTime, shortId } from '../format.ts';
import { isPlainClick } from '../route.ts';
import { useNow } from '../use-now.ts';
import { AgentSubscriptions } from './AgentSubscriptions.tsx';
import { HealthBadge } from './HealthBadge.tsx';
import { HealthTimeline } from './HealthTimeline.tsx';

// An operator triaging one agent needs its latest failures, not its whole record.
const RECENT_ERRORS = 10;

interface Props {
  api: HubApi;
  id: string;
  /** The live copy from the socket; null before the snapshot or once the hub dropped the agent. */
  live: AgentInfo | null;
  /** Every agent's live transitions; this page keeps its own agent's. */
  transitions: HealthTransition[];
  deadLetters: DeadLetter[];
  onClose(): void;
  onOpenSession(id: string): void;
}

type Load<T> = { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready'; value: T };

export function AgentDetail({ api, id, live, transitions, deadLetters, onClose, onOpenSession }: Props) {
  const health = useLoad(() => api.getAgentHealth(id), [api, id]);
  const sessions = useLoad(() => api.listAgentSessions(id), [api, id]);
  const now = useNow();

  const loaded = health.status === 'ready' ? health.value : null;
  const agent = live ?? loaded?.agent ?? null;
  const own = transitions.filter((t) => t.agentId === id);
  const history = newestFirst(mergeTransitions(own, loaded?.history ?? []));
  const errors = recentErrors(
    history,
    deadLetters.filter((d) => d.agentId === id),
  );

  return (
    <div className="stack" data-testid="agent-detail">
      <section className="panel">
        <div className="panel-head">
          <h2 className="mono wrap-anywhere">Agent {id}</h2>
          <button type="button" className="secondary" onClick={onClose}>
            All agents
          </button>
        </div>
        {health.status === 'error' && !agent && (
          <p className="form-error" data-testid="agent-detail-error">
            {health.message}
          </p>
        )}
        {!agent && health.status === 'loading' && <p className="empty">Loading agent…</p>}
        {agent && (
          <dl className="facts">
            <dt>Name</dt>
            <dd>{agent.name}</dd>
            <dt>Health</dt>
            <dd>
              <HealthBadge state={agent.health} testId="agent-detail-health" />
              {agent.degraded && <span className="agent-degraded">degraded: {agent.degraded}</span>}
            </dd>
            <dt>Recovery strategy</dt>
            <dd data-testid="agent-detail-recovery">{agent.recovery}</dd>
            <dt>Recoveries</dt>
            <dd>{agent.recoveries}</dd>
            <dt>Last seen</dt>
            <dd title={agent.lastSeenAt ?? undefined}>{formatAgo(agent.lastSeenAt, now)}</dd>
            <dt>Connected since</dt>
            <dd>{formatTime(agent.connectedSince)}</dd>
            <dt>Node</dt>
            <dd className="mono">{agent.node ?? '—'}</dd>
            <dt>Capabilities</dt>
            <dd>{agent.capabilities.length === 0 ? '—' : agent.capabilities.join(', ')}</dd>
          </dl>
        )}
      </section>
      <section className="panel">
        <h2>Subscriptions</h2>
        <AgentSubscriptions api={api} id={id} />
      </section>
      <section className="panel">
        <h2>Recent errors</h2>
        {errors.length === 0 ? (
          <p className="empty">No recent errors</p>
        ) : (
          <ul className="error-list" data-testid="agent-detail-errors">
            {errors.map((e) => (
              <li key={e.key}>
                <time dateTime={e.at}>{formatTime(e.at)}</time> <span className="wrap-anywhere">{e.text}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="panel">
        <h2>Health history</h2>
        {health.status === 'loading' && history.length === 0 ? (
          <p className="empty">Loading history…</p>
        ) : (
          <HealthTimeline transitions={history} hideAgent testId="agent-detail-history" />
        )}
      </section>
      <section className="panel">
        <h2>Sessions</h2>
        <AgentSessions load={sessions} onOpen={onOpenSession} />
      </section>
    </div>
  );
}

function AgentSessions({ load, onOpen }: { load: Load<Session[]>; onOpen(id: string): void }) {
  if (load.status === 'loading') return <p className="empty">Loading sessions…</p>;
  if (load.status === 'error') return <p className="form-error">Could not load sessions: {load.message}</p>;
  if (load.value.length === 0) return <p className="empty">In no sessions</p>;
  return (
    <ul className="link-list" data-testid="agent-detail-sessions">
      {load.value.map((s) => (
        <li key={s.id}>
          <a
            href={`/sessions/${encodeURIComponent(s.id)}`}
            className="mono"
            title={s.id}
            onClick={(e) => {
              if (!isPlainClick(e)) return;
              e.preventDefault();
              onOpen(s.id);
            }}
          >
            {shortId(s.id)}
          </a>{' '}
          <span className="muted">
            {s.state} · {s.members.length} members · updated {formatTime(s.updatedAt)}
          </span>
        </li>
      ))}
    </ul>
  );
}

interface ErrorLine {
  key: string;
  at: string;
  text: string;
}

/** Transitions into a problem state and dead-lettered events, newest first. */
function recentErrors(history: HealthTransition[], deadLetters: DeadLetter[]): ErrorLine[] {
  const lines: ErrorLine[] = [
    ...history.filter((t) => isProblem(t.to)).map((t) => ({ key: `t|${t.at}|${t.to}`, at: t.at, text: `${t.to}: ${t.reason}` })),
    ...deadLetters.map((d) => ({
      key: `d|${d.id}`,
      at: d.at,
      text: `dead letter on ${d.topic} after ${d.attempts} attempts: ${d.error}`,
    })),
  ];
  return lines.sort((a, b) => b.at.localeCompare(a.at)).slice(0, RECENT_ERRORS);
}

function useLoad<T>(fetcher: () => Promise<T>, deps: unknown[]): Load<T> {
  const [load, setLoad] = useState<Load<T>>({ status: 'loading' });
  useEffect(() => {
    let current = true;
    setLoad({ status: 'loading' });
    fetcher().then(
      (value) => current && setLoad({ status: 'ready', value }),
      (err: unknown) => current && setLoad({ status: 'error', message: errorWithCode(err) }),
    );
    return () => {
      current = false;
    };
    // The caller lists what the fetch depends on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return load;
}
