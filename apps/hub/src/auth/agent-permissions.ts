import { HubError, isHubTopic, topicMatches } from '@agent-hub/protocol';

/** A connection's grants: absent lists allow everything (tokens without permissions, `ah1`). */
export interface Grants {
  pub?: readonly string[];
  sub?: readonly string[];
}

/** Topic types the hub publishes on its legacy topics, which agents must not imitate there. */
const LEGACY_HUB_PAYLOADS: Record<string, readonly string[]> = { agent: ['health'], group: ['turn', 'group'] };

/**
 * May this connection publish `payload` on `topic`? `$hub:` topics are the hub's alone. While the
 * hub still publishes its legacy copies, an agent's event on `agent:<id>` / `group:<id>` shaped
 * like one of them (payload `type` `health`, `turn`, `group`) is refused too: only the forgery is
 * closed, other payloads on those topics stay allowed.
 */
export function authorizePublish(grants: Grants, topic: string, payload: unknown, legacyHubTopics: boolean): void {
  if (isHubTopic(topic))
    throw new HubError('FORBIDDEN', `"${topic}" is a hub topic: only the hub publishes on "$hub:" topics`, { topic, pattern: '$hub:#' });
  if (legacyHubTopics) {
    const [head, , extra] = topic.split(':');
    const type = (payload as { type?: unknown } | null)?.type;
    if (extra === undefined && head && typeof type === 'string' && LEGACY_HUB_PAYLOADS[head]?.includes(type)) {
      throw new HubError(
        'FORBIDDEN',
        `a "${type}" event on "${topic}" is the hub's to publish (it publishes them on "$hub:${topic}" too)`,
        { topic, pattern: `${head}:*` },
      );
    }
  }
  if (!grants.pub || grants.pub.some((p) => topicMatches(p, topic))) return;
  throw new HubError('FORBIDDEN', `this token may not publish to "${topic}": allowed patterns are ${list(grants.pub)}`, {
    topic,
    allowed: grants.pub,
  });
}

/** May this connection subscribe to every one of `patterns`? Each must be covered by an allowed pattern. */
export function authorizeSubscribe(grants: Grants, patterns: readonly string[]): void {
  if (!grants.sub) return;
  for (const p of patterns) {
    if (grants.sub.some((a) => patternCovers(a, p))) continue;
    throw new HubError('FORBIDDEN', `this token may not subscribe to "${p}": allowed patterns are ${list(grants.sub)}`, {
      pattern: p,
      allowed: grants.sub,
    });
  }
}

/** True when every topic `requested` matches is matched by `allowed` too. */
export function patternCovers(allowed: string, requested: string): boolean {
  if (allowed === requested) return true;
  // As in matching, a lone `#` stops short of the hub's topics: grant `$hub:#` (or less) for those.
  if (allowed === '#') return !isHubTopic(requested);
  const last = requested.slice(-1);
  if (last !== '*' && last !== '#') return topicMatches(allowed, requested);
  if (requested === '#') return false;
  // requested is `prefix:*` or `prefix:#`: only `A:#` with A a prefix of `prefix` (segment-wise) covers it.
  if (!allowed.endsWith(':#')) return false;
  const a = allowed.slice(0, -2);
  const prefix = requested.slice(0, -2);
  return prefix === a || prefix.startsWith(a + ':');
}

function list(patterns: readonly string[]): string {
  return patterns.length ? patterns.map((p) => `"${p}"`).join(', ') : 'none';
}
