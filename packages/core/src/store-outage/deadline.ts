import type { Clock } from '../ports/clock.ts';

export type WithinDeadline<T> = { settled: true; value: T } | { settled: false };

/**
 * Waits for `work` at most `ms`: its value, its error (rethrown), or `settled: false` when the
 * deadline came first. The work itself goes on; its late outcome is observed so it never becomes
 * an unhandled rejection. A deadline never fails a request by itself: callers use it to stop
 * waiting on a store that does not answer and take another path (queue the write, trust a
 * membership seen recently).
 */
export function settleWithin<T>(clock: Clock, ms: number, work: Promise<T>): Promise<WithinDeadline<T>> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = clock.setTimeout(() => {
      // Decided a turn later, after pending I/O: an answer that arrived while the event loop ran
      // late is still taken, so a busy hub does not blame the store for its own delay.
      setImmediate(() => {
        if (!done) resolve({ settled: false });
        done = true;
      });
    }, ms);
    work.then(
      (value) => {
        clock.clearTimeout(timer);
        if (!done) resolve({ settled: true, value });
        done = true;
      },
      (err: unknown) => {
        clock.clearTimeout(timer);
        if (!done) reject(err);
        done = true;
      },
    );
  });
}
