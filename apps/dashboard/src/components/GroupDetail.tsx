import type { AgentInfo, Group } from '@agent-hub/protocol';
import type { HubApi } from '../api.ts';
import { formatTime } from '../format.ts';
import { CurrentSpeaker } from './CurrentSpeaker.tsx';
import { GroupControls } from './GroupControls.tsx';
import { GroupConversation } from './GroupConversation.tsx';
import { GroupMembers } from './GroupMembers.tsx';
import { GroupStatusBadge } from './GroupStatusBadge.tsx';
import { GroupTasks } from './GroupTasks.tsx';
import { GroupThrottle } from './GroupThrottle.tsx';
import { RotationHistory } from './RotationHistory.tsx';

interface Props {
  api: HubApi;
  /** The live copy from the `group:update` feed. */
  group: Group;
  agents: Record<string, AgentInfo>;
  /** The group session's live version, so the conversation refreshes on operator posts too. */
  sessionVersion: number | null;
  onClose(): void;
}

export function GroupDetail({ api, group, agents, sessionVersion, onClose }: Props) {
  return (
    <section className="panel group-detail" data-testid="group-detail">
      <div className="panel-head">
        <h2 className="mono" title={group.id}>
          Group {group.id}
        </h2>
        <button type="button" className="secondary" onClick={onClose}>
          Close
        </button>
      </div>
      <dl className="facts facts-wide">
        <dt>Status</dt>
        <dd>
          <GroupStatusBadge status={group.status} testId="group-status" />
          {group.endedReason && <span className="muted"> {group.endedReason}</span>}
        </dd>
        <dt>Speaking now</dt>
        <dd>
          <CurrentSpeaker group={group} />
        </dd>
        <dt>Strategy</dt>
        <dd>{group.strategy}</dd>
        <dt>Turns</dt>
        <dd>
          {group.turn} granted · {group.spokenTurns} of {group.settings.maxTurns} spoken
        </dd>
        <dt>Operator pick</dt>
        <dd className="mono" data-testid="pending-pick">
          {group.pendingPick ?? '—'}
        </dd>
        <dt>Session</dt>
        <dd className="mono">{group.sessionId}</dd>
        <dt>Ends at</dt>
        <dd title={group.endsAt}>{formatTime(group.endsAt)}</dd>
      </dl>
      <GroupControls api={api} group={group} />
      <div className="group-grid">
        <div className="stack">
          <section>
            <h3>Members</h3>
            <GroupMembers group={group} agents={agents} />
          </section>
          <section>
            <h3>Throttling</h3>
            <GroupThrottle group={group} />
          </section>
          <section>
            <h3>Speaker rotation</h3>
            <RotationHistory history={group.history} />
          </section>
        </div>
        <div className="stack">
          <section>
            <h3>Tasks</h3>
            <GroupTasks group={group} />
          </section>
          <section>
            <h3>Conversation</h3>
            <GroupConversation api={api} sessionId={group.sessionId} refreshKey={`${group.spokenTurns}|${sessionVersion ?? ''}`} />
          </section>
        </div>
      </div>
    </section>
  );
}
