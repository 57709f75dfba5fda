import { createHmac } from 'node:crypto';
import { safeEqual } from './operator-token.ts';

/**
 * Agent tokens are derived from the hub's agent secret: `ah1.<agentId>.<HMAC-SHA256>`. Bound to
 * the agent id, so a token for one agent cannot be used to act as another, and stateless, so
 * every hub node sharing the secret accepts it.
 */
export class AgentTokens {
  constructor(private readonly secret: string) {}

  issue(agentId: string): string {
    return `ah1.${agentId}.${this.mac(agentId)}`;
  }

  verify(agentId: string, token: string): boolean {
    const prefix = `ah1.${agentId}.`;
    if (!token.startsWith(prefix)) return false;
    return safeEqual(token.slice(prefix.length), this.mac(agentId));
  }

  private mac(agentId: string): string {
    return createHmac('sha256', this.secret).update(`agent:${agentId}`).digest('base64url');
  }
}
