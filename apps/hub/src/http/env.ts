import type { Logger } from '@agent-hub/core';

export interface HttpEnv {
  Variables: { requestId: string; log: Logger };
}
