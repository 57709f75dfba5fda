import { ConfigError, loadConfig } from './config.ts';
import { startHub } from './hub.ts';

/** Process entry: start the hub, print the dashboard URL once, stop cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`agent-hub: ${err.message}\nSee docs/configuration.md.\n`);
      process.exit(2);
    }
    throw err;
  }
  const hub = await startHub(config);
  if (hub.operatorTokenCreated) {
    process.stdout.write(
      `\n  Agent Hub dashboard: ${hub.url}/?token=${encodeURIComponent(hub.ctx.operatorToken)}\n` +
        `  (operator token saved in ${config.DATA_DIR}/operator-token; shown only this once)\n\n`,
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => {
      hub.ctx.logger.fatal({ signal, timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'CRITICAL: shutdown timed out');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    hub.close(signal).then(
      () => process.exit(0),
      (err) => {
        hub.ctx.logger.fatal({ err }, 'CRITICAL: shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`agent-hub: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
