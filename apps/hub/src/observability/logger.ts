import pino from 'pino';
import type { Logger } from '@agent-hub/core';

/**
 * Log lines waiting for stdout at most. A log reader that stops reading (a stalled pipe, a
 * collector that hangs) must not grow the hub's memory without bound: past this, lines are dropped.
 */
const LOG_BUFFER_MAX_BYTES = 16 * 1024 * 1024;

/** Until when (epoch ms) a full stdout is waited for; see `stopWaitingForLogsAfter`. */
let waitForStdoutUntil = Number.POSITIVE_INFINITY;

/**
 * The hub is about to exit: stdout is waited for at most `ms` more. At exit pino writes what is
 * still buffered synchronously and, while stdout is full, retries every 100 ms for as long as it
 * is told to — by default forever, so a stalled log reader kept a stopping hub alive past
 * SHUTDOWN_TIMEOUT_MS (and past any deadline). After this, the rest is given up.
 */
export function stopWaitingForLogsAfter(ms: number): void {
  waitForStdoutUntil = Math.min(waitForStdoutUntil, Date.now() + ms);
}

/** JSON logs on stdout; `fatal` carries "CRITICAL" alerts (pino level 60). */
export function createLogger(level: string, node: string): Logger & pino.Logger {
  // Written asynchronously (as pino's default is): a slow reader never blocks the event loop.
  const stdout = pino.destination({
    dest: 1,
    sync: false,
    maxLength: LOG_BUFFER_MAX_BYTES,
    retryEAGAIN: () => Date.now() < waitForStdoutUntil,
  });
  return pino(
    {
      level,
      base: { node },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['token', 'auth.token', 'headers.authorization', '*.token'], censor: '[redacted]' },
    },
    stdout,
  );
}
