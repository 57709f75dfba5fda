export function StoreBanner() {
  return (
    <div className="banner banner-warning" role="status" data-testid="store-banner">
      <strong>Store degraded</strong>
      <span>The hub cannot reach its store; events are queued until it recovers.</span>
    </div>
  );
}
