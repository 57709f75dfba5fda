import { HubError } from '@agent-hub/protocol';
import { describe, expect, it } from 'vitest';
import { toStoreError } from './store-unavailable.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('toStoreError', () => {
  it('turns a refused connection into STORE_UNAVAILABLE with the driver message', () => {
    const refused = new AggregateError([withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')], '');
    expect(toStoreError(refused)).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      details: { cause: 'connect ECONNREFUSED 127.0.0.1:5432' },
    });
  });

  it('finds a server shutdown behind a query wrapper', () => {
    const wrapped = new Error('Failed query: select 1', { cause: withCode('terminating connection', '57P01') });
    expect(toStoreError(wrapped)).toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('treats a closed PGlite as unavailable', () => {
    expect(toStoreError(new Error('PGlite is closed'))).toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('passes domain errors and other database errors through unchanged', () => {
    const domain = new HubError('SESSION_NOT_FOUND', 'gone');
    const unique = withCode('duplicate key value', '23505');
    expect(toStoreError(domain)).toBe(domain);
    expect(toStoreError(unique)).toBe(unique);
  });
});
