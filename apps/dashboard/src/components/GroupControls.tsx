import { useState, type FormEvent } from 'react';
import type { Group } from '@agent-hub/protocol';
import { errorWithCode, type HubApi, type PickTiming } from '../api.ts';
import { useCan } from '../permissions.ts';

interface Props {
  api: HubApi;
  group: Group;
}

const PICK_APPLIES: Record<PickTiming, string> = {
  now: 'granted now',
  'next-turn': 'applies when the current turn ends',
  'on-resume': 'applies when the group resumes',
};

/** Operator actions on one group; the hub's answer comes back through the live feed. */
export function GroupControls(props: Props) {
  const canOperate = useCan('operate');
  // A read-only credential sees the conversation, not controls it may not use.
  if (!canOperate)
    return (
      <p className="muted" data-testid="group-controls-readonly">
        Viewing only: pausing, picking, posting and ending need the operate scope.
      </p>
    );
  return <Controls {...props} />;
}

function Controls({ api, group }: Props) {
  const [message, setMessage] = useState('');
  const [pick, setPick] = useState(group.members[0] ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const ended = group.status === 'ended';
  const disabled = busy || ended;

  async function run(action: () => Promise<string | null>): Promise<boolean> {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      setNotice(await action());
      return true;
    } catch (err) {
      setError(errorWithCode(err));
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function post(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const content = message.trim();
    if (!content) return;
    const ok = await run(async () => {
      await api.postGroupMessage(group.id, content);
      return null;
    });
    if (ok) setMessage('');
  }

  function pickNext(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (!pick) return;
    void run(async () => {
      const { appliesAt } = await api.pickNextSpeaker(group.id, pick);
      return `Picked ${pick}: ${PICK_APPLIES[appliesAt]}`;
    });
  }

  const act = (call: (groupId: string) => Promise<unknown>) => () => void run(() => call(group.id).then(() => null));

  return (
    <div className="controls" data-testid="group-controls">
      <form className="control-row" onSubmit={post}>
        <label htmlFor="group-message">Post to group</label>
        <input
          id="group-message"
          className="grow"
          placeholder="Message from the operator (takes no turn)"
          value={message}
          onChange={(e) => setMessage(e.target.value)}
          disabled={ended}
        />
        <button type="submit" disabled={disabled || message.trim() === ''}>
          Post
        </button>
      </form>
      <div className="control-row">
        <button type="button" disabled={disabled || group.status !== 'running'} onClick={act(api.pauseGroup)}>
          Pause
        </button>
        <button type="button" disabled={disabled || group.status !== 'paused'} onClick={act(api.resumeGroup)}>
          Resume
        </button>
        <form className="control-row" onSubmit={pickNext}>
          <label htmlFor="group-pick">Next speaker</label>
          <select id="group-pick" value={pick} onChange={(e) => setPick(e.target.value)} disabled={ended}>
            {group.members.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
          <button type="submit" disabled={disabled || !pick} data-testid="pick-next">
            Pick next speaker
          </button>
        </form>
        <button type="button" className="danger" disabled={disabled} onClick={act(api.endGroup)}>
          End group
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert" data-testid="group-error">
          {error}
        </p>
      )}
      {notice && (
        <p className="muted" role="status" data-testid="group-notice">
          {notice}
        </p>
      )}
    </div>
  );
}
