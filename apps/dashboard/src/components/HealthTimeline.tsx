import type { AgentInfo, HealthTransition } from '@agent-hub/protocol';
import { formatTime } from '../format.ts';
import { HealthBadge } from './HealthBadge.tsx';

interface Props {
  transitions: HealthTransition[];
  agents: Record<string, AgentInfo>;
}

export function HealthTimeline({ transitions, agents }: Props) {
  return (
    <ol className="timeline" data-testid="health-timeline">
      {transitions.length === 0 && <li className="empty">No health changes yet</li>}
      {transitions.map((t) => (
        <li key={`${t.agentId}|${t.at}|${t.from}|${t.to}`} className="timeline-item">
          <time dateTime={t.at}>{formatTime(t.at)}</time>
          <span className="timeline-agent" title={t.agentId}>
            {agents[t.agentId]?.name ?? t.agentId}
          </span>
          <span className="timeline-change">
            {t.from ? <HealthBadge state={t.from} /> : <span className="muted">new</span>}
            <span aria-label="to">→</span>
            <HealthBadge state={t.to} />
          </span>
          <span className="muted">{t.reason}</span>
        </li>
      ))}
    </ol>
  );
}
