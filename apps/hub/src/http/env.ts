import type { Logger } from '@agent-hub/core';
import type { OperatorPrincipal } from '../auth/operator-credentials.ts';

export interface HttpEnv {
  Variables: {
    requestId: string;
    log: Logger;
    /** The credential the request was made with (set by the operator guard on /api and /metrics). */
    operator: OperatorPrincipal;
    /** A route's own name and details for its audit entry (the method and path otherwise). */
    audit?: { action?: string; details?: Record<string, unknown> };
  };
}
