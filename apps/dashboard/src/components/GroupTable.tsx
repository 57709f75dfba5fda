import type { Group } from '@agent-hub/protocol';
import { formatTime, shortId } from '../format.ts';
import { GroupStatusBadge } from './GroupStatusBadge.tsx';

interface Props {
  groups: Record<string, Group>;
  selectedId: string | null;
  onSelect(id: string): void;
}

// Live conversations first (they are what an operator may need to steer), newest first within each.
function liveThenNewest(a: Group, b: Group): number {
  const aEnded = a.status === 'ended';
  if (aEnded !== (b.status === 'ended')) return aEnded ? 1 : -1;
  return b.createdAt.localeCompare(a.createdAt);
}

export function GroupTable({ groups, selectedId, onSelect }: Props) {
  const rows = Object.values(groups).sort(liveThenNewest);
  if (rows.length === 0) return <p className="empty">No groups</p>;

  return (
    <table className="table table-clickable" data-testid="group-table">
      <thead>
        <tr>
          <th>Id</th>
          <th>Status</th>
          <th>Strategy</th>
          <th>Members</th>
          <th>Speaking now</th>
          <th className="num">Spoken turns</th>
          <th>Updated</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((g) => (
          <tr
            key={g.id}
            data-testid={`group-row-${g.id}`}
            className={g.id === selectedId ? 'row-selected' : undefined}
            onClick={() => onSelect(g.id)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') onSelect(g.id);
            }}
            tabIndex={0}
            aria-selected={g.id === selectedId}
          >
            <td className="mono" title={g.id}>
              {shortId(g.id)}
            </td>
            <td>
              <GroupStatusBadge status={g.status} />
            </td>
            <td>{g.strategy}</td>
            <td>{g.members.join(', ')}</td>
            <td className="mono">{g.current?.agentId ?? '—'}</td>
            <td className="num">
              {g.spokenTurns} / {g.settings.maxTurns}
            </td>
            <td title={g.updatedAt}>{formatTime(g.updatedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
