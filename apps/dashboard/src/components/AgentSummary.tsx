import type { AgentInfo } from '@agent-hub/protocol';
import { HEALTH_ORDER, countByHealth, isProblem } from '../agent-order.ts';
import { HealthBadge } from './HealthBadge.tsx';

/** How many agents are in each state, problems first; states nobody is in are left out. */
export function AgentSummary({ agents }: { agents: AgentInfo[] }) {
  const counts = countByHealth(agents);
  const shown = HEALTH_ORDER.filter((s) => counts[s] > 0);
  return (
    <ul className="agent-summary" data-testid="agent-summary">
      <li>
        <strong>{agents.length}</strong> agents
      </li>
      {shown.map((state) => (
        <li key={state} className={isProblem(state) ? 'summary-problem' : undefined} data-testid={`agent-count-${state}`}>
          <strong>{counts[state]}</strong> <HealthBadge state={state} />
        </li>
      ))}
    </ul>
  );
}
