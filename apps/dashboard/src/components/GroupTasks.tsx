import type { Group, TaskStatus } from '@agent-hub/protocol';
import { formatTime } from '../format.ts';

const TONE: Record<TaskStatus, string> = {
  open: 'idle',
  claimed: 'info',
  done: 'ok',
  failed: 'bad',
};

export function GroupTasks({ group }: { group: Group }) {
  const { tasks, taskSummary: s } = group;
  if (tasks.length === 0) return <p className="empty">No tasks</p>;

  return (
    <>
      <p className="muted">
        {s.total} tasks: {s.open} open, {s.claimed} claimed, {s.done} done, {s.failed} failed
        {s.complete && ' · all finished'}
      </p>
      <table className="table" data-testid="group-tasks">
        <thead>
          <tr>
            <th>Title</th>
            <th>Status</th>
            <th>Claimed by</th>
            <th>Updated</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <tr key={t.id}>
              <td title={t.details ?? undefined}>
                {t.title}
                {t.error && <div className="error-text">{t.error}</div>}
              </td>
              <td>
                <span className={`badge badge-${TONE[t.status]}`}>{t.status}</span>
              </td>
              <td className="mono">{t.claimedBy ?? '—'}</td>
              <td title={t.updatedAt}>{formatTime(t.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
