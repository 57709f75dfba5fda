import type { GroupStatus } from '@agent-hub/protocol';

export function GroupStatusBadge({ status, testId }: { status: GroupStatus; testId?: string }) {
  return (
    <span className={`badge badge-group-${status}`} data-testid={testId}>
      {status}
    </span>
  );
}
