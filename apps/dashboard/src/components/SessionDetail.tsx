import { useEffect, useState } from 'react';
import type { Session, SessionWithHistory } from '@agent-hub/protocol';
import { errorMessage, type HubApi } from '../api.ts';
import { SessionHistory } from './SessionHistory.tsx';

interface Props {
  api: HubApi;
  id: string;
  /** The live copy from the socket; null once the hub removed the session. */
  live: Session | null;
  /** Whether the session list has arrived: before it, a missing live copy means nothing yet. */
  loaded: boolean;
  onClose(): void;
}

type Load = { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready'; session: SessionWithHistory };

export function SessionDetail({ api, id, live, loaded, onClose }: Props) {
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  // Refetch the history when the live copy says it changed; the socket carries no message bodies.
  const version = live?.version;

  useEffect(() => {
    let current = true;
    api.getSession(id).then(
      (session) => current && setLoad({ status: 'ready', session }),
      (err: unknown) => current && setLoad({ status: 'error', message: errorMessage(err) }),
    );
    return () => {
      current = false;
    };
  }, [api, id, version]);

  return (
    <section className="panel session-detail" data-testid="session-detail">
      <div className="panel-head">
        <h2 className="mono" title={id}>
          Session {id}
        </h2>
        <button type="button" className="secondary" onClick={onClose}>
          Close
        </button>
      </div>
      {loaded && !live && <p className="muted">This session is no longer on the hub.</p>}
      {load.status === 'loading' && <p className="empty">Loading history…</p>}
      {load.status === 'error' && <p className="form-error">Could not load the session: {load.message}</p>}
      {load.status === 'ready' && <SessionHistory session={load.session} />}
    </section>
  );
}
