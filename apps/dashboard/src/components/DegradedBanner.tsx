import type { HubStatus } from '@agent-hub/protocol';
import { formatTime } from '../format.ts';

export function DegradedBanner({ status }: { status: HubStatus }) {
  return (
    <div className="banner banner-warning" role="status" data-testid="degraded-banner">
      <strong>Degraded mode: {status.degradedReason ?? 'unknown reason'}</strong>
      <span>
        Session limit {status.sessionLimit}
        {status.degradedSince && ` · since ${formatTime(status.degradedSince)}`}
      </span>
    </div>
  );
}
