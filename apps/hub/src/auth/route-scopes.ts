import type { OperatorScope } from '@agent-hub/protocol';

/** Credentials and hub configuration: admin, whatever the method (listing tokens included). */
const ADMIN_PREFIXES = ['/api/operators/', '/api/agents/tokens', '/api/config'];

/**
 * The scope an `/api` request needs: reading is `read`; changing the running system (groups,
 * dead letters, sessions, events) is `operate`; deleting anything and managing credentials or
 * configuration is `admin`. One rule for every route, so a new route is covered the day it lands.
 */
export function requiredScope(method: string, path: string): OperatorScope {
  if (ADMIN_PREFIXES.some((p) => path === p.replace(/\/$/, '') || path.startsWith(p))) return 'admin';
  if (method === 'GET' || method === 'HEAD') return 'read';
  if (method === 'DELETE') return 'admin';
  return 'operate';
}
