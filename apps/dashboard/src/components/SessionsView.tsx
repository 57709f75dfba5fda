import type { Session } from '@agent-hub/protocol';
import type { HubApi } from '../api.ts';
import { SessionDetail } from './SessionDetail.tsx';
import { SessionTable } from './SessionTable.tsx';

interface Props {
  api: HubApi;
  sessions: Record<string, Session>;
  loaded: boolean;
  selectedId: string | null;
  onSelect(id: string | null): void;
}

export function SessionsView({ api, sessions, loaded, selectedId, onSelect }: Props) {
  return (
    <div className={selectedId ? 'split' : 'stack'}>
      <section className="panel">
        <h2>Sessions</h2>
        {loaded ? (
          <SessionTable sessions={sessions} selectedId={selectedId} onSelect={onSelect} />
        ) : (
          <p className="empty">Loading sessions…</p>
        )}
      </section>
      {selectedId && (
        <SessionDetail
          key={selectedId}
          api={api}
          id={selectedId}
          live={sessions[selectedId] ?? null}
          loaded={loaded}
          onClose={() => onSelect(null)}
        />
      )}
    </div>
  );
}
