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
export const IsoTime = z.string().datetime({ offset: true });
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
