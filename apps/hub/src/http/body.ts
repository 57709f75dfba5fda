import type { Context } from 'hono';
import { HubError } from '@agent-hub/protocol';
import type { z } from 'zod';
import { parseOrThrow } from '../errors.ts';

/** Reads and validates a JSON body: malformed JSON and schema failures are VALIDATION_FAILED. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new HubError('VALIDATION_FAILED', 'body is not valid JSON');
  }
  return parseOrThrow(schema, raw);
}

export function queryOf<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  return parseOrThrow(schema, c.req.query());
}
