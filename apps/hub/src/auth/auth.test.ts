import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentTokens } from './agent-token.ts';
import { bearer, loadOrCreateSecret } from './operator-token.ts';

describe('agent tokens', () => {
  const tokens = new AgentTokens('a-secret-of-enough-length');

  it('accepts a token for the agent it was issued to', () => {
    expect(tokens.verify('alice', tokens.issue('alice'))).toBe(true);
  });

  it('refuses a token issued to another agent, or signed with another secret', () => {
    expect(tokens.verify('mallory', tokens.issue('alice'))).toBe(false);
    expect(tokens.verify('alice', new AgentTokens('another-secret-entirely').issue('alice'))).toBe(false);
    expect(tokens.verify('alice', 'ah1.alice.forged')).toBe(false);
  });
});

describe('operator token', () => {
  it('is made once, kept with mode 600, and reused at the next start', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hub-token-'));
    const first = await loadOrCreateSecret(dir, 'operator-token');
    const second = await loadOrCreateSecret(dir, 'operator-token');
    expect(first.created).toBe(true);
    expect(second).toEqual({ value: first.value, created: false });
    expect((await stat(path.join(dir, 'operator-token'))).mode & 0o777).toBe(0o600);
  });

  it('prefers a configured token', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hub-token-'));
    expect(await loadOrCreateSecret(dir, 'operator-token', 'configured-token-1234')).toEqual({
      value: 'configured-token-1234',
      created: false,
    });
  });

  it('reads only Bearer credentials', () => {
    expect(bearer('Bearer abc')).toBe('abc');
    expect(bearer('Basic abc')).toBeNull();
    expect(bearer(undefined)).toBeNull();
  });
});
