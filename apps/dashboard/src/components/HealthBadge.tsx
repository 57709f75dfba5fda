import type { HealthState } from '@agent-hub/protocol';

// Colour says what the operator should do: nothing (green), watch (amber), act (red), wait (blue).
const TONE: Record<HealthState, string> = {
  healthy: 'ok',
  suspect: 'warn',
  zombie: 'warn',
  disconnected: 'bad',
  failed: 'bad',
  recovering: 'info',
  connecting: 'idle',
};

export function HealthBadge({ state, testId }: { state: HealthState; testId?: string }) {
  return (
    <span className={`badge badge-${TONE[state] ?? 'idle'}`} data-testid={testId}>
      {state}
    </span>
  );
}
