import type { AgentInfo } from '@agent-hub/protocol';
import { byProblemThenName, isProblem } from '../agent-order.ts';
import { formatAgo, formatTime } from '../format.ts';
import { isPlainClick } from '../route.ts';
import { useNow } from '../use-now.ts';
import { HealthBadge } from './HealthBadge.tsx';

interface Props {
  agents: AgentInfo[];
  onSelect(id: string): void;
}

export function AgentTable({ agents, onSelect }: Props) {
  const now = useNow();
  const rows = [...agents].sort(byProblemThenName);
  if (rows.length === 0) return <p className="empty">No agents connected</p>;

  return (
    <div className="table-wrap">
      <table className="table table-clickable" data-testid="agent-table">
        <thead>
          <tr>
            <th>Id</th>
            <th>Name</th>
            <th>Health</th>
            <th>Last seen</th>
            <th>Capabilities</th>
            <th>Connected since</th>
            <th className="num">Recoveries</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((agent) => (
            <tr
              key={agent.id}
              data-testid={`agent-row-${agent.id}`}
              className={isProblem(agent.health) ? 'row-problem' : undefined}
              onClick={() => onSelect(agent.id)}
            >
              <td className="mono">
                <a
                  href={`/agents/${encodeURIComponent(agent.id)}`}
                  onClick={(e) => {
                    // The row's own click handler opens the page; a modified click opens a new tab.
                    e.stopPropagation();
                    if (!isPlainClick(e)) return;
                    e.preventDefault();
                    onSelect(agent.id);
                  }}
                >
                  {agent.id}
                </a>
              </td>
              <td>{agent.name}</td>
              <td>
                <HealthBadge state={agent.health} testId={`agent-health-${agent.id}`} />
                {agent.degraded && (
                  <span className="agent-degraded" title={agent.degraded} data-testid={`agent-degraded-${agent.id}`}>
                    degraded
                  </span>
                )}
              </td>
              <td title={agent.lastSeenAt ?? undefined} data-testid={`agent-last-seen-${agent.id}`}>
                {formatAgo(agent.lastSeenAt, now)}
              </td>
              <td>
                {agent.capabilities.length === 0
                  ? '—'
                  : agent.capabilities.map((c) => (
                      <span key={c} className="chip">
                        {c}
                      </span>
                    ))}
              </td>
              <td title={agent.connectedSince ?? undefined}>{formatTime(agent.connectedSince)}</td>
              <td className="num">{agent.recoveries}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
