export function ShutdownBanner() {
  return (
    <div className="banner banner-info" role="status" data-testid="shutdown-banner">
      <strong>Hub shutting down</strong>
      <span>Agents are being asked to reconnect elsewhere.</span>
    </div>
  );
}
