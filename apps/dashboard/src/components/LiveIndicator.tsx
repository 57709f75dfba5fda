export function LiveIndicator({ connected }: { connected: boolean }) {
  return (
    <span className={`live ${connected ? 'live-on' : 'live-off'}`} data-testid="live-indicator">
      <span className="live-dot" aria-hidden="true" />
      {connected ? 'live' : 'offline'}
    </span>
  );
}
