import type { AgentInfo, DeadLetter, HealthTransition } from '@agent-hub/protocol';
import type { HubApi } from '../api.ts';
import { AgentDetail } from './AgentDetail.tsx';
import { AgentSummary } from './AgentSummary.tsx';
import { AgentTable } from './AgentTable.tsx';
import { HealthTimeline } from './HealthTimeline.tsx';

interface Props {
  api: HubApi;
  agents: Record<string, AgentInfo>;
  transitions: HealthTransition[];
  deadLetters: DeadLetter[];
  selectedId: string | null;
  onSelect(id: string | null): void;
  onOpenSession(id: string): void;
}

export function AgentsView({ api, agents, transitions, deadLetters, selectedId, onSelect, onOpenSession }: Props) {
  if (selectedId) {
    return (
      <AgentDetail
        key={selectedId}
        api={api}
        id={selectedId}
        live={agents[selectedId] ?? null}
        transitions={transitions}
        deadLetters={deadLetters}
        onClose={() => onSelect(null)}
        onOpenSession={onOpenSession}
      />
    );
  }
  const list = Object.values(agents);
  return (
    <div className="stack">
      <section className="panel">
        <h2>Agents</h2>
        <AgentSummary agents={list} />
        <AgentTable agents={list} onSelect={onSelect} />
      </section>
      <section className="panel">
        <h2>Health timeline</h2>
        <HealthTimeline transitions={transitions} />
      </section>
    </div>
  );
}
