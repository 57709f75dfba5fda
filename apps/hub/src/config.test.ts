import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration', () => {
  it('starts on the embedded store with documented defaults', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.DATA_DIR).toBe('./data');
    expect(c.storeKind).toBe('pglite');
    expect(c.HEARTBEAT_INTERVAL_MS + c.HEARTBEAT_TIMEOUT_MS).toBeLessThanOrEqual(5000);
  });

  it('picks PostgreSQL when DATABASE_URL is set', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1:5432/db' }).storeKind).toBe('postgres');
  });

  it('names every bad variable with its value and the problem', () => {
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', HUB_TOKEN: 'short' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toContain('PORT="eighty"');
      expect(msg).toContain('LOG_LEVEL="loud"');
      expect(msg).toContain('HUB_TOKEN must be at least 16 characters');
    }
  });

  it('refuses STORE=postgres without DATABASE_URL', () => {
    expect(() => loadConfig({ STORE: 'postgres' })).toThrow(/DATABASE_URL/);
  });
});
