import { describe, expect, it } from 'vitest';
import { payloadProblem } from './payload-limits.ts';

const nested = (levels: number): unknown => JSON.parse('['.repeat(levels) + ']'.repeat(levels));

describe('payloadProblem', () => {
  it('accepts JSON values up to the nesting limit and refuses one level more', () => {
    expect(payloadProblem({ a: [1, 'x', { b: null, c: true }], d: 'ü€😀' }, 64)).toBeNull();
    expect(payloadProblem(nested(64), 64)).toBeNull();
    expect(payloadProblem(nested(65), 64)).toBe('payload nests deeper than 64 levels');
    expect(payloadProblem({ a: { b: { c: {} } } }, 3)).toBe('payload nests deeper than 3 levels');
    expect(payloadProblem({ a: { b: { c: 1 } } }, 3)).toBeNull();
  });

  it('refuses a hostile depth without overflowing the stack', () => {
    expect(payloadProblem(nested(200_000), 64)).toBe('payload nests deeper than 64 levels');
  });

  it('finds a NUL or a lone surrogate in a key or a string at any depth', () => {
    expect(payloadProblem({ a: [{ ['k\0']: 1 }] }, 64)).toMatch(/NUL/);
    expect(payloadProblem({ a: [1, [2, 'x\0y']] }, 64)).toMatch(/NUL/);
    expect(payloadProblem({ a: { b: ['ok', '\ud800'] } }, 64)).toMatch(/surrogate/);
    expect(payloadProblem({ ['\udc00']: 1 }, 64)).toMatch(/surrogate/);
    expect(payloadProblem('top\0', 64)).toMatch(/NUL/);
  });

  it('refuses binary data anywhere inside, as a value or an array element', () => {
    expect(payloadProblem({ a: { b: Buffer.from('x') } }, 64)).toMatch(/binary/);
    expect(payloadProblem([1, new Uint8Array(2)], 64)).toMatch(/binary/);
    expect(payloadProblem({ a: new ArrayBuffer(1) }, 64)).toMatch(/binary/);
  });
});
