import { onTestFailed } from 'vitest';

/**
 * If the current test fails, prints what each source says (a hub's `status()`, a client's event
 * log …): a failure seen once in CI explains itself in the log. Call inside the test.
 */
export function reportOnFailure(...sources: Array<{ status(): string } | (() => string)>): void {
  onTestFailed(() => {
    for (const s of sources) console.error(typeof s === 'function' ? s() : s.status());
  });
}
