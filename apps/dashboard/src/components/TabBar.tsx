import type { Tab } from '../route.ts';

const TABS: { id: Tab; label: string }[] = [
  { id: 'agents', label: 'Agents' },
  { id: 'sessions', label: 'Sessions' },
  { id: 'groups', label: 'Groups' },
  { id: 'events', label: 'Events' },
  { id: 'charts', label: 'Charts' },
  { id: 'audit', label: 'Audit' },
];

interface Props {
  active: Tab;
  onChange(tab: Tab): void;
  counts: Partial<Record<Tab, number>>;
}

export function TabBar({ active, onChange, counts }: Props) {
  return (
    <nav className="tabs" role="tablist">
      {TABS.map(({ id, label }) => (
        <button
          key={id}
          type="button"
          role="tab"
          aria-selected={active === id}
          className={active === id ? 'tab tab-active' : 'tab'}
          onClick={() => onChange(id)}
        >
          {label}
          {counts[id] !== undefined && <span className="tab-count">{counts[id]}</span>}
        </button>
      ))}
    </nav>
  );
}
