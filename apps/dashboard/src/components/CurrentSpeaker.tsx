import type { Group } from '@agent-hub/protocol';

/** The holder of the outstanding turn, or why there is none. */
export function CurrentSpeaker({ group }: { group: Group }) {
  if (group.current) {
    return (
      <span className="speaker" data-testid="current-speaker">
        {group.current.agentId}
      </span>
    );
  }
  if (group.status === 'ended') return <span className="muted">nobody (ended)</span>;
  if (group.status === 'paused') return <span className="muted">nobody (paused)</span>;
  return <span className="muted">{group.waiting ? `waiting: ${group.waiting}` : 'choosing…'}</span>;
}
