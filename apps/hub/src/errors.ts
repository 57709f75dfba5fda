import { HubError, type ErrorBody } from '@agent-hub/protocol';
import { z } from 'zod';
import type { Logger } from '@agent-hub/core';

/** Parses `input` with `schema` or throws VALIDATION_FAILED listing each problem with its path. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new HubError('VALIDATION_FAILED', r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '), {
    issues: r.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
  });
}

/** Any thrown value as the wire error body; unexpected errors are logged and hidden. */
export function toErrorBody(err: unknown, log: Logger): ErrorBody {
  if (err instanceof HubError) return err.toJSON();
  log.error({ err }, 'unexpected error');
  return { code: 'INTERNAL', message: 'internal error' };
}

export function statusOf(body: ErrorBody): number {
  return new HubError(body.code, body.message).status;
}
