/** A start-up failure that one setting explains: printed as one line, exit code 2. */
export class StartupError extends Error {
  constructor(
    readonly setting: string,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`${setting}=${value}: ${reason}`);
    this.name = 'StartupError';
  }
}

/** Hides a password in a connection URL before it is printed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** The part of an error worth one line: its code and message, without the stack. */
export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return describeError(err.errors[0]);
  const e = err as NodeJS.ErrnoException;
  const msg = e?.message || String(err);
  return e?.code && !msg.includes(e.code) ? `${e.code}: ${msg}` : msg;
}
