import { formatAgo, formatTime } from '../format.ts';
import { useNow } from '../use-now.ts';

/** The socket dropped (hub stopped or restarting): what is on screen is as of `lastUpdateAt`. */
export function ReconnectingBanner({ lastUpdateAt }: { lastUpdateAt: number | null }) {
  const now = useNow();
  const iso = lastUpdateAt === null ? null : new Date(lastUpdateAt).toISOString();
  return (
    <div className="banner banner-warning" role="status" data-testid="reconnecting-banner">
      <strong>Reconnecting to the hub…</strong>
      <span>
        Data below is from the last update at <time dateTime={iso ?? undefined}>{formatTime(iso)}</time> ({formatAgo(iso, now)}).
      </span>
    </div>
  );
}
