import type { Context } from 'hono';
import { HubError, LIMITS } from '@agent-hub/protocol';
import { payloadProblem } from '../sockets/payload-limits.ts';
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
  const problem = payloadProblem(raw, LIMITS.nestingMax);
  if (problem) throw new HubError('VALIDATION_FAILED', problem);
  return parseOrThrow(schema, raw);
}

/** Like jsonBody, for routes whose body may be left out: no body is validated as `undefined`. */
export async function optionalBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const text = await c.req.text();
  if (!text.trim()) return parseOrThrow(schema, undefined);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new HubError('VALIDATION_FAILED', 'body is not valid JSON');
  }
  const problem = payloadProblem(raw, LIMITS.nestingMax);
  if (problem) throw new HubError('VALIDATION_FAILED', problem);
  return parseOrThrow(schema, raw);
}

export function queryOf<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const query = c.req.query();
  const problem = payloadProblem(query, 2);
  if (problem) throw new HubError('VALIDATION_FAILED', problem);
  return parseOrThrow(schema, query);
}
