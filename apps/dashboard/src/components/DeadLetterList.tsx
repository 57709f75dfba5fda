import { useState } from 'react';
import type { DeadLetter, DeadLetterStatus } from '@agent-hub/protocol';
import { ApiError, errorWithCode, type HubApi } from '../api.ts';
import { formatTime } from '../format.ts';
import { useCan } from '../permissions.ts';

interface Props {
  api: HubApi;
  deadLetters: DeadLetter[];
}

const STATUS_BADGE: Record<DeadLetterStatus, string> = {
  open: 'badge badge-warn',
  retried: 'badge badge-ok',
  discarded: 'badge badge-idle',
};

type Action = 'retry' | 'discard';

/**
 * Dead letters with the operator's two answers: Retry (the hub delivers the event again to the
 * agent that gave up on it) and Discard. The live feed (`deadletter:update`) brings every status
 * change; the answer to this operator's own click is shown at once.
 */
export function DeadLetterList({ api, deadLetters }: Props) {
  const [answered, setAnswered] = useState<Record<string, DeadLetter>>({});
  const [busy, setBusy] = useState<Record<string, Action>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const canOperate = useCan('operate');
  const needsOperate = canOperate ? undefined : 'Retry and discard need the operate scope';

  if (deadLetters.length === 0) return <p className="empty">No dead letters</p>;

  async function act(d: DeadLetter, action: Action) {
    setBusy((b) => ({ ...b, [d.id]: action }));
    setErrors(({ [d.id]: _, ...rest }) => rest);
    try {
      const changed = action === 'retry' ? await api.retryDeadLetter(d.id) : await api.discardDeadLetter(d.id);
      setAnswered((a) => ({ ...a, [d.id]: changed }));
    } catch (err) {
      setErrors((e) => ({ ...e, [d.id]: errorWithCode(err) }));
      // Someone else got there first: the hub's answer says what the letter is now.
      const status = conflictStatus(err);
      if (status) setAnswered((a) => ({ ...a, [d.id]: { ...d, status } }));
    } finally {
      setBusy(({ [d.id]: _, ...rest }) => rest);
    }
  }

  return (
    <table className="table" data-testid="dead-letters">
      <thead>
        <tr>
          <th>Time</th>
          <th>Topic</th>
          <th>Agent</th>
          <th className="num">Offset</th>
          <th className="num">Attempts</th>
          <th>Error</th>
          <th>Status</th>
          <th>Actions</th>
        </tr>
      </thead>
      <tbody>
        {deadLetters.map((live) => {
          const d = newer(live, answered[live.id]);
          const pending = busy[d.id];
          return (
            <tr key={d.id} data-testid="dead-letter" data-id={d.id}>
              <td title={d.at}>{formatTime(d.at)}</td>
              <td className="mono">{d.topic}</td>
              <td className="mono">{d.agentId}</td>
              <td className="num mono">{d.offset}</td>
              <td className="num">{d.attempts}</td>
              <td className="error-text">{d.error}</td>
              <td>
                <span className={STATUS_BADGE[d.status]} data-testid="dead-letter-status">
                  {d.status}
                </span>
                {d.resolvedAt && (
                  <span className="muted" title={d.resolvedAt}>
                    {' '}
                    by {d.resolvedBy ?? 'operator'} at {formatTime(d.resolvedAt)}
                  </span>
                )}
              </td>
              <td>
                {d.status === 'open' && (
                  <>
                    <button
                      type="button"
                      disabled={pending !== undefined || !canOperate}
                      title={needsOperate}
                      onClick={() => void act(d, 'retry')}
                    >
                      {pending === 'retry' ? 'Retrying…' : 'Retry'}
                    </button>{' '}
                    <button
                      type="button"
                      className="secondary"
                      disabled={pending !== undefined || !canOperate}
                      title={needsOperate}
                      onClick={() => void act(d, 'discard')}
                    >
                      Discard
                    </button>
                  </>
                )}
                {errors[d.id] && (
                  <div className="form-error" role="alert" data-testid="dead-letter-error">
                    {errors[d.id]}
                  </div>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Once this operator's retry or discard succeeded, a live copy still open is the older one. */
function newer(live: DeadLetter, answered: DeadLetter | undefined): DeadLetter {
  return answered && live.status === 'open' ? answered : live;
}

function conflictStatus(err: unknown): DeadLetterStatus | null {
  if (!(err instanceof ApiError) || err.code !== 'DEAD_LETTER_RESOLVED') return null;
  const status = (err.details as { status?: unknown } | undefined)?.status;
  return status === 'retried' || status === 'discarded' ? status : null;
}
