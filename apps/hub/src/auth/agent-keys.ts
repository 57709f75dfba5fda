/**
 * The keys agent tokens are signed with, by key id (`kid`). The first key signs new tokens; every
 * listed key verifies. Rotating is: add the new key second on every node, move it first, and drop
 * the old one once the tokens it signed have expired (the overlap window).
 */
export interface AgentKeyRing {
  signing: { kid: string; secret: string };
  keys: ReadonlyMap<string, string>;
}

const KID = /^[A-Za-z0-9_-]{1,32}$/;

/** Parses `AGENT_KEYS` (`kid=secret,kid2=secret2`); returns problems instead of throwing. */
export function parseAgentKeys(text: string): { ring: AgentKeyRing } | { problem: string } {
  const entries: Array<[string, string]> = [];
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    const kid = eq > 0 ? part.slice(0, eq) : '';
    const secret = eq > 0 ? part.slice(eq + 1) : '';
    if (!KID.test(kid)) return { problem: 'each key is kid=secret, kid 1-32 letters, digits, "_" or "-"' };
    if (secret.length < 16) return { problem: `key "${kid}": secret must be at least 16 characters` };
    if (entries.some(([k]) => k === kid)) return { problem: `key "${kid}" is listed twice` };
    entries.push([kid, secret]);
  }
  const first = entries[0];
  if (!first) return { problem: 'needs at least one kid=secret' };
  return { ring: { signing: { kid: first[0], secret: first[1] }, keys: new Map(entries) } };
}

/** Without `AGENT_KEYS`: one key, `default`, the agent secret (so one setting keeps working). */
export function singleKeyRing(secret: string): AgentKeyRing {
  return { signing: { kid: 'default', secret }, keys: new Map([['default', secret]]) };
}
