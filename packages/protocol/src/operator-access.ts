import { z } from 'zod';

/**
 * What an operator credential may do, each including the ones before it: `read` views (the
 * dashboard, `/metrics`, GET routes), `operate` acts on the running system (groups, dead letters,
 * sessions, events), `admin` manages credentials, deletes and configuration.
 */
export const OPERATOR_SCOPES = ['read', 'operate', 'admin'] as const;
export const OperatorScope = z.enum(OPERATOR_SCOPES);
export type OperatorScope = z.infer<typeof OperatorScope>;

/** True when a credential with scope `have` may do what needs `need`. */
export function scopeIncludes(have: OperatorScope, need: OperatorScope): boolean {
  return OPERATOR_SCOPES.indexOf(have) >= OPERATOR_SCOPES.indexOf(need);
}

export const OperatorTokenName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.@-]+$/, 'letters, digits, "_", ".", "@" or "-"');

export const CreateOperatorToken = z.object({ name: OperatorTokenName, scope: OperatorScope });
export type CreateOperatorToken = z.infer<typeof CreateOperatorToken>;

/** A credential as listed: never its secret (the hub keeps only a hash). */
export const OperatorTokenInfo = z.object({
  id: z.string(),
  name: z.string(),
  scope: OperatorScope,
  /** ISO time. */
  createdAt: z.string(),
  createdBy: z.string(),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
  /** The token made at first start (DATA_DIR/operator-token) or set by HUB_TOKEN: always admin, not revocable here. */
  builtIn: z.boolean(),
});
export type OperatorTokenInfo = z.infer<typeof OperatorTokenInfo>;

/** The answer to a create: the only time the token itself is shown. */
export const IssuedOperatorToken = OperatorTokenInfo.extend({ token: z.string() });
export type IssuedOperatorToken = z.infer<typeof IssuedOperatorToken>;

/** `GET /api/me`: who the bearer is and what it may do. */
export const OperatorIdentity = z.object({ name: z.string(), scope: OperatorScope, scopes: z.array(OperatorScope) });
export type OperatorIdentity = z.infer<typeof OperatorIdentity>;

/** One audit entry, the payload of an event on `$hub:audit`. */
export const AuditEntry = z.object({
  type: z.literal('audit'),
  /** The credential's name (`admin` for the built-in token), or `-` when none was accepted. */
  who: z.string(),
  scope: OperatorScope.nullable(),
  /** `POST /api/groups/<id>/pause`, `socket events:watch`, `token.issue`, `token.revoke`, `auth.rate-limited` … */
  action: z.string(),
  /** `ok`, or the error code the action was refused with. */
  outcome: z.string(),
  status: z.number().int().optional(),
  /** The client's address (X-Forwarded-For honoured only from TRUSTED_PROXIES). */
  source: z.string(),
  /** ISO time. */
  at: z.string(),
  requestId: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;
