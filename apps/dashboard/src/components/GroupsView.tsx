import type { AgentInfo, Group, Session } from '@agent-hub/protocol';
import type { HubApi } from '../api.ts';
import { GroupDetail } from './GroupDetail.tsx';
import { GroupTable } from './GroupTable.tsx';

interface Props {
  api: HubApi;
  groups: Record<string, Group>;
  loaded: boolean;
  agents: Record<string, AgentInfo>;
  sessions: Record<string, Session>;
  selectedId: string | null;
  onSelect(id: string | null): void;
}

export function GroupsView({ api, groups, loaded, agents, sessions, selectedId, onSelect }: Props) {
  const selected = selectedId ? groups[selectedId] : undefined;

  return (
    <div className="stack">
      <section className="panel">
        <h2>Groups</h2>
        {loaded || Object.keys(groups).length > 0 ? (
          <GroupTable groups={groups} selectedId={selectedId} onSelect={onSelect} />
        ) : (
          <p className="empty">Loading groups…</p>
        )}
      </section>
      {selectedId && !selected && (
        <section className="panel" data-testid="group-detail-missing">
          <p className="empty">{loaded ? `No group ${selectedId} on this hub` : 'Loading group…'}</p>
        </section>
      )}
      {selected && (
        <GroupDetail
          key={selected.id}
          api={api}
          group={selected}
          agents={agents}
          sessionVersion={sessions[selected.sessionId]?.version ?? null}
          onClose={() => onSelect(null)}
        />
      )}
    </div>
  );
}
