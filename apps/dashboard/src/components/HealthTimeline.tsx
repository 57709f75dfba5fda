import type { HealthTransition } from '@agent-hub/protocol';
import { newestFirst, transitionKey } from '../agent-order.ts';
import { formatTime } from '../format.ts';
import { HealthBadge } from './HealthBadge.tsx';

interface Props {
  transitions: HealthTransition[];
  /** Set on an agent's own page, where repeating its id on every line says nothing. */
  hideAgent?: boolean;
  testId?: string;
}

// Agent ids, not names: names are free text and several agents often share one.
export function HealthTimeline({ transitions, hideAgent = false, testId = 'health-timeline' }: Props) {
  const ordered = newestFirst(transitions);
  return (
    <ol className={hideAgent ? 'timeline timeline-own' : 'timeline'} data-testid={testId}>
      {ordered.length === 0 && <li className="empty">No health changes yet</li>}
      {ordered.map((t) => (
        <li key={transitionKey(t)} className="timeline-item" data-at={t.at}>
          <time dateTime={t.at} title={t.at}>
            {formatTime(t.at)}
          </time>
          {!hideAgent && <span className="timeline-agent mono">{t.agentId}</span>}
          <span className="timeline-change">
            {t.from ? <HealthBadge state={t.from} /> : <span className="muted">new</span>}
            <span aria-label="to">→</span>
            <HealthBadge state={t.to} />
          </span>
          <span className="muted timeline-reason">{t.reason}</span>
        </li>
      ))}
    </ol>
  );
}
