import { useState } from 'react';
import type { Session } from '@agent-hub/protocol';
import type { HubApi } from '../api.ts';
import { SessionDetail } from './SessionDetail.tsx';
import { SessionTable } from './SessionTable.tsx';

interface Props {
  api: HubApi;
  sessions: Record<string, Session>;
  loaded: boolean;
}

export function SessionsView({ api, sessions, loaded }: Props) {
  const [selectedId, setSelectedId] = useState<string | null>(null);

  return (
    <div className={selectedId ? 'split' : 'stack'}>
      <section className="panel">
        <h2>Sessions</h2>
        {loaded ? (
          <SessionTable sessions={sessions} selectedId={selectedId} onSelect={setSelectedId} />
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
          onClose={() => setSelectedId(null)}
        />
      )}
    </div>
  );
}
