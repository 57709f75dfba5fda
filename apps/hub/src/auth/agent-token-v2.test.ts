import { describe, expect, it } from 'vitest';
import { HubError } from '@agent-hub/protocol';
import { AgentTokensV2 } from './agent-token-v2.ts';
import { parseAgentKeys, singleKeyRing } from './agent-keys.ts';
import { authorizePublish, authorizeSubscribe, patternCovers } from './agent-permissions.ts';

const ring = (text: string) => {
  const r = parseAgentKeys(text);
  if ('problem' in r) throw new Error(r.problem);
  return r.ring;
};

describe('ah2 agent tokens', () => {
  const now = 1_800_000_000_000;
  const tokens = new AgentTokensV2(singleKeyRing('a-secret-of-enough-length'));

  it('accepts a token for its agent until it expires', () => {
    const t = tokens.issue('alice', now, 60_000, { publish: ['orders:*'] });
    expect(tokens.verify('alice', t.token, now + 60_000)).toMatchObject({
      ok: true,
      claims: { agent: 'alice', jti: t.jti, pub: ['orders:*'] },
    });
    expect(tokens.verify('alice', t.token, now + 60_001)).toMatchObject({ ok: false, reason: expect.stringContaining('expired') });
  });

  it('refuses another agent, a changed claim, another key', () => {
    const t = tokens.issue('alice', now, 60_000).token;
    expect(tokens.verify('mallory', t, now).ok).toBe(false);
    const [head, body, sig] = t.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), exp: now * 2 })).toString(
      'base64url',
    );
    expect(tokens.verify('alice', `${head}.${forged}.${sig}`, now)).toMatchObject({ ok: false, reason: 'bad signature' });
    expect(new AgentTokensV2(singleKeyRing('another-secret-entirely')).verify('alice', t, now).ok).toBe(false);
  });

  it('verifies with every listed key and signs with the first', () => {
    const old = new AgentTokensV2(ring('k1=old-secret-of-length')).issue('a', now, 1000);
    const both = new AgentTokensV2(ring('k2=new-secret-of-length,k1=old-secret-of-length'));
    expect(both.verify('a', old.token, now).ok).toBe(true);
    expect(both.issue('a', now, 1000).kid).toBe('k2');
    expect(new AgentTokensV2(ring('k2=new-secret-of-length')).verify('a', old.token, now)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('"k1"'),
    });
  });

  it('refuses AGENT_KEYS it cannot use', () => {
    expect(parseAgentKeys('k1=short')).toEqual({ problem: expect.stringContaining('16') });
    expect(parseAgentKeys('k1=a-secret-of-enough-length,k1=a-secret-of-enough-length')).toEqual({
      problem: expect.stringContaining('twice'),
    });
    expect(parseAgentKeys('')).toEqual({ problem: expect.any(String) });
  });
});

describe('agent permissions', () => {
  it('covers a requested pattern only when every topic it matches is allowed', () => {
    expect(patternCovers('#', 'x:#')).toBe(true);
    expect(patternCovers('#', '$hub:agent:*')).toBe(false);
    expect(patternCovers('$hub:#', '$hub:agent:*')).toBe(true);
    expect(patternCovers('orders:#', 'orders:eu:*')).toBe(true);
    expect(patternCovers('orders:#', 'orders:#')).toBe(true);
    expect(patternCovers('orders:#', 'orders:eu')).toBe(true);
    expect(patternCovers('orders:*', 'orders:eu')).toBe(true);
    expect(patternCovers('orders:*', 'orders:#')).toBe(false);
    expect(patternCovers('orders:*', 'orders:eu:*')).toBe(false);
    expect(patternCovers('orders:#', 'ordersx:#')).toBe(false);
    expect(patternCovers('orders:#', '#')).toBe(false);
  });

  it('refuses hub topics to everyone and forged legacy hub events while legacy topics are on', () => {
    const refused = (f: () => void) => {
      try {
        f();
      } catch (err) {
        return HubError.is(err, 'FORBIDDEN');
      }
      return false;
    };
    expect(refused(() => authorizePublish({}, '$hub:agent:x', {}, false))).toBe(true);
    expect(refused(() => authorizePublish({}, 'agent:x', { type: 'health' }, true))).toBe(true);
    expect(refused(() => authorizePublish({}, 'group:g', { type: 'turn' }, true))).toBe(true);
    expect(refused(() => authorizePublish({}, 'agent:x', { type: 'health' }, false))).toBe(false);
    expect(refused(() => authorizePublish({}, 'agent:x:state', { type: 'health' }, true))).toBe(false);
    expect(refused(() => authorizePublish({ pub: ['a:*'] }, 'b:x', 1, true))).toBe(true);
    expect(refused(() => authorizeSubscribe({ sub: ['a:#'] }, ['a:b:*', 'c']))).toBe(true);
    expect(refused(() => authorizeSubscribe({}, ['#']))).toBe(false);
  });
});
