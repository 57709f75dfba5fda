import type { AgentInfo, HealthTransition } from '@agent-hub/protocol';
import { AgentTable } from './AgentTable.tsx';
import { HealthTimeline } from './HealthTimeline.tsx';

interface Props {
  agents: Record<string, AgentInfo>;
  transitions: HealthTransition[];
}

export function AgentsView({ agents, transitions }: Props) {
  return (
    <div className="stack">
      <section className="panel">
        <h2>Agents</h2>
        <AgentTable agents={agents} />
      </section>
      <section className="panel">
        <h2>Health timeline</h2>
        <HealthTimeline transitions={transitions} agents={agents} />
      </section>
    </div>
  );
}
