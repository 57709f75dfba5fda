import { z } from 'zod';
import { LIMITS } from './limits.ts';

/** Agent ids are chosen by the agent's owner: short, URL- and topic-safe. */
export const AgentId = z
  .string()
  .min(1)
  .max(LIMITS.agentIdMax)
  .regex(/^[A-Za-z0-9_.-]+$/, 'agent ids use letters, digits, "_", "." and "-" only');
export type AgentId = z.infer<typeof AgentId>;

export const Uuid = z.uuid();
/** The instants every store can hold: PostgreSQL reads no year 0, nor a year past 9999 in ISO form. */
const EARLIEST_MS = Date.parse('0001-01-01T00:00:00Z');
const LATEST_MS = Date.parse('9999-12-31T23:59:59.999Z');
/**
 * An ISO 8601 time with an offset, from year 1 to 9999 once in UTC: "0000-01-01T00:00:00Z" is
 * valid ISO but no PostgreSQL timestamp, and reached the store as an INTERNAL error.
 */
export const IsoTime = z
  .string()
  .datetime({ offset: true })
  .refine(
    (s) => {
      const ms = Date.parse(s);
      return ms >= EARLIEST_MS && ms <= LATEST_MS;
    },
    { message: 'a time from year 1 to 9999 (UTC)' },
  );
export const JsonObject = z.record(z.string(), z.unknown());
export type JsonObject = z.infer<typeof JsonObject>;

/** Cursor pagination: `cursor` is opaque, `limit` defaults to 50. */
export const PageQuery = z.object({
  cursor: z.string().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type PageQuery = z.infer<typeof PageQuery>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
