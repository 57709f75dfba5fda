import pino from 'pino';
import type { Logger } from '@agent-hub/core';

/** JSON logs on stdout; `fatal` carries "CRITICAL" alerts (pino level 60). */
export function createLogger(level: string, node: string): Logger & pino.Logger {
  return pino({
    level,
    base: { node },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['token', 'auth.token', 'headers.authorization', '*.token'], censor: '[redacted]' },
  });
}
