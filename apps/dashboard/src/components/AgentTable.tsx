import type { AgentInfo } from '@agent-hub/protocol';
import { formatTime } from '../format.ts';
import { HealthBadge } from './HealthBadge.tsx';

// Connected agents first, then by name: the ones that can still act are what operators look for.
function byConnectedThenName(a: AgentInfo, b: AgentInfo): number {
  if (a.connected !== b.connected) return a.connected ? -1 : 1;
  return a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
}

export function AgentTable({ agents }: { agents: Record<string, AgentInfo> }) {
  const rows = Object.values(agents).sort(byConnectedThenName);
  if (rows.length === 0) return <p className="empty">No agents connected</p>;

  return (
    <table className="table">
      <thead>
        <tr>
          <th>Name</th>
          <th>Id</th>
          <th>Capabilities</th>
          <th>Health</th>
          <th>Connected since</th>
          <th>Last seen</th>
          <th className="num">Recoveries</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((agent) => (
          <tr
            key={agent.id}
            data-testid={`agent-row-${agent.id}`}
            className={agent.connected ? undefined : 'row-inactive'}
          >
            <td>{agent.name}</td>
            <td className="mono">{agent.id}</td>
            <td>
              {agent.capabilities.length === 0
                ? '—'
                : agent.capabilities.map((c) => (
                    <span key={c} className="chip">
                      {c}
                    </span>
                  ))}
            </td>
            <td>
              <HealthBadge state={agent.health} testId={`agent-health-${agent.id}`} />
              {agent.degraded && (
                <span className="agent-degraded" title={agent.degraded} data-testid={`agent-degraded-${agent.id}`}>
                  degraded
                </span>
              )}
            </td>
            <td title={agent.connectedSince ?? undefined}>{formatTime(agent.connectedSince)}</td>
            <td title={agent.lastSeenAt ?? undefined}>{formatTime(agent.lastSeenAt)}</td>
            <td className="num">{agent.recoveries}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
