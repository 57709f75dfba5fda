import { useCallback, useEffect, useState } from 'react';
import { errorWithCode, type AuditRecord, type HubApi } from '../api.ts';

interface Props {
  api: HubApi;
}

const SHOWN = 500;

/** The audit log (`$hub:audit` in the event log): who did what, when, from where, and how it ended. */
export function AuditView({ api }: Props) {
  const [entries, setEntries] = useState<AuditRecord[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [who, setWho] = useState('');

  const load = useCallback(() => {
    setError(null);
    api.listAudit(SHOWN).then(setEntries, (err: unknown) => setError(errorWithCode(err)));
  }, [api]);
  useEffect(load, [load]);

  const needle = who.trim().toLowerCase();
  const shown = (entries ?? []).filter((e) => !needle || e.who.toLowerCase().includes(needle) || e.action.toLowerCase().includes(needle));

  return (
    <section className="panel" data-testid="audit-view">
      <div className="panel-head">
        <h2>Audit log</h2>
        <button type="button" className="secondary" onClick={load}>
          Refresh
        </button>
      </div>
      <p className="muted">
        Every change made through the API or the dashboard, every refusal for scope, and every credential issued or revoked: the newest{' '}
        {SHOWN}, kept as long as the event log keeps topic <code>$hub:audit</code>.
      </p>
      <div className="filter">
        <label htmlFor="audit-filter">Who or what</label>
        <input id="audit-filter" placeholder="e.g. oncall, pause, token" value={who} onChange={(e) => setWho(e.target.value)} />
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {entries === null && !error && <p className="muted">Loading…</p>}
      {entries !== null && shown.length === 0 && <p className="muted">No entries.</p>}
      {shown.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>Action</th>
              <th>Outcome</th>
              <th>From</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((e) => (
              <tr key={e.offset} data-testid="audit-row">
                <td>{new Date(e.at).toLocaleString()}</td>
                <td>
                  {e.who}
                  {e.scope && <span className="muted"> ({e.scope})</span>}
                </td>
                <td>
                  <code>{e.action}</code>
                  {e.details && <span className="muted"> {JSON.stringify(e.details)}</span>}
                </td>
                <td className={e.outcome === 'ok' ? '' : 'form-error'}>{e.outcome}</td>
                <td>{e.source}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
