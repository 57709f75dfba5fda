import path from 'node:path';
import { ConfigError, loadConfig, type HubConfig } from './config.ts';
import { startHub, type Hub } from './hub.ts';
import { stopWaitingForLogsAfter } from './observability/logger.ts';
import { StartupError, describeError, preflight, writeHubPidFile } from './startup/index.ts';

/** The settings checks answer within 10 s (each is bounded below that); a first PGlite start may legitimately take longer. */
const PREFLIGHT_DEADLINE_MS = 9000;
/** A start still unfinished by then is stuck: say so rather than hang silently. */
const START_DEADLINE_MS = 60_000;
/** A crashing (or failing) hub waits this long at most for a full stdout to take its last log lines. */
const CRASH_LOG_WAIT_MS = 1000;

/** Process entry: check the settings, start the hub, print where the dashboard is, stop cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config: HubConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) failStart(`${err.problems.join('; ')} (see docs/configuration.md)`);
    throw err;
  }
  const stuck = (phase: string, ms: number) =>
    setTimeout(
      () => failStart(`${phase} did not finish within ${ms / 1000} s (store: ${config.storeKind}, DATA_DIR=${config.DATA_DIR})`),
      ms,
    );
  const deadline = stuck('start-up', START_DEADLINE_MS);
  let hub: Hub;
  try {
    const checks = stuck('the settings check', PREFLIGHT_DEADLINE_MS);
    await preflight(config);
    clearTimeout(checks);
    hub = await startHub(config);
  } catch (err) {
    failStart(err instanceof StartupError ? err.message : `failed to start: ${describeError(err)}`);
  }
  clearTimeout(deadline);
  // The handlers come first: /ready answers already, so a signal or a stray error may come at once.
  // A bug, or a dependency's stray promise: the hub's state is unknown, so it still exits (the
  // supervisor restarts it, agents reconnect, the log is durable), but says why in the JSON log
  // operators ship, where Node's own report is a bare stack on stderr.
  const crash = (kind: string) => (err: unknown) => {
    hub.ctx.logger.fatal({ err, kind }, `CRITICAL: ${kind}; exiting`);
    stopWaitingForLogsAfter(CRASH_LOG_WAIT_MS);
    process.exit(1);
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled rejection'));
  // An embedded store allows one process: the pid file lets `pnpm hub events:export` refuse to open it beside us.
  const pidFile = config.storeKind === 'pglite' || config.storeKind === 'file' ? writeHubPidFile(config.DATA_DIR) : Promise.resolve(null);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // A log reader that stopped reading must not keep the hub alive past its deadline.
    stopWaitingForLogsAfter(config.SHUTDOWN_TIMEOUT_MS);
    const timer = setTimeout(() => {
      hub.ctx.logger.fatal({ signal, timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'CRITICAL: shutdown timed out');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    hub
      .close(signal)
      .then(() => pidFile)
      .then((file) => file?.remove())
      .then(
        () => process.exit(0),
        (err) => {
          hub.ctx.logger.fatal({ err }, 'CRITICAL: shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await pidFile;
  printDashboard(hub, config);
}

/** One line naming the setting and the cause, exit code 2 (the same as a configuration error). */
function failStart(line: string): never {
  process.stderr.write(`agent-hub: ${line}\n`);
  stopWaitingForLogsAfter(CRASH_LOG_WAIT_MS);
  process.exit(2);
}

/** On every start: where the dashboard is and where its token is kept. The token itself only when it was just made (logs are shipped). */
function printDashboard(hub: Hub, config: HubConfig): void {
  const tokenFile = path.resolve(config.DATA_DIR, 'operator-token');
  const where = config.HUB_TOKEN ? 'operator token: the HUB_TOKEN setting' : `operator token in ${tokenFile}`;
  const link = hub.operatorTokenCreated ? `${hub.url}/?token=${encodeURIComponent(hub.ctx.operatorToken)}` : hub.url;
  const once = hub.operatorTokenCreated ? '; this link is shown only this once' : '';
  // A log reader that has gone away (EPIPE) ends the hub's logging, not the hub, as pino does for the JSON lines.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  process.stdout.write(`\n  Agent Hub dashboard: ${link}\n  (${where}${once})\n\n`);
}

main().catch((err) => failStart(`failed to start: ${describeError(err)}`));
