import { useEffect, useState } from 'react';
import type { AgentSubscriptions as Subscriptions } from '@agent-hub/protocol';
import { UnauthorizedError, errorWithCode, type HubApi } from '../api.ts';

// Lag moves with every event; a re-read every few seconds keeps it current without a socket feed.
const REFRESH_MS = 2000;

interface Props {
  api: HubApi;
  id: string;
}

type Load = { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready'; value: Subscriptions };

/** An agent's topic patterns with their replay policy, and how many of its events it has not processed yet. */
export function AgentSubscriptions({ api, id }: Props) {
  const load = useSubscriptions(api, id);
  if (load.status === 'loading') return <p className="empty">Loading subscriptions…</p>;
  if (load.status === 'error') return <p className="form-error">Could not load subscriptions: {load.message}</p>;
  const s = load.value;
  if (!s.connected)
    return (
      <p className="empty" data-testid="agent-subscriptions-offline">
        Not connected: subscriptions are known while the agent is connected
      </p>
    );
  if (s.lag === null) {
    return (
      <p className="empty" data-testid="agent-subscriptions-elsewhere">
        Connected to node <span className="mono">{s.node}</span>: its subscriptions are listed by that node
      </p>
    );
  }
  return (
    <div data-testid="agent-subscriptions">
      <dl className="facts">
        <dt>Lag</dt>
        <dd
          data-testid="agent-lag"
          title="Events matching its patterns after the last offset it acked (offsets may have gaps, so this is a count, not a difference)"
        >
          {formatLag(s.lag)} {s.lag.count === 1 ? 'event' : 'events'} not yet processed
        </dd>
        <dt>Counted after offset</dt>
        <dd className="mono">{s.ackedOffset ?? '—'}</dd>
      </dl>
      {s.subscriptions.length === 0 ? (
        <p className="empty">No subscriptions</p>
      ) : (
        <table className="table" data-testid="agent-subscription-list">
          <thead>
            <tr>
              <th>Pattern</th>
              <th>Replay policy</th>
            </tr>
          </thead>
          <tbody>
            {s.subscriptions.map((sub) => (
              <tr key={sub.pattern}>
                <td className="mono wrap-anywhere">{sub.pattern}</td>
                <td>{sub.policy}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function formatLag(lag: NonNullable<Subscriptions['lag']>): string {
  return lag.capped ? `${lag.limit.toLocaleString('en-US')}+` : lag.count.toLocaleString('en-US');
}

function useSubscriptions(api: HubApi, id: string): Load {
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  useEffect(() => {
    let current = true;
    setLoad({ status: 'loading' });
    const read = () =>
      api.getAgentSubscriptions(id).then(
        (value) => current && setLoad({ status: 'ready', value }),
        (err: unknown) => current && !(err instanceof UnauthorizedError) && setLoad({ status: 'error', message: errorWithCode(err) }),
      );
    void read();
    const timer = setInterval(read, REFRESH_MS);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [api, id]);
  return load;
}
