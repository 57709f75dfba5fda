/**
 * The hub's JSON logs go to stdout, and whatever reads them (a pipe to a shipper, a container
 * runtime's log driver) can stall or go away. Neither may decide the hub's fate: it keeps serving,
 * and SIGTERM still ends it within SHUTDOWN_TIMEOUT_MS. (A stalled reader used to keep a stopping
 * hub alive for good: pino retried its last writes every 100 ms at exit, forever; a reader gone
 * before the dashboard banner was printed crashed the hub.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HubProcess } from './support/hub-process.ts';

/** Every HTTP request is a debug line (~200 bytes) on stdout. */
const LOGGING = { STORE: 'memory', LOG_LEVEL: 'debug', SHUTDOWN_TIMEOUT_MS: '2000' };

/** `n` requests, 20 at a time; the statuses. */
async function requests(hub: HubProcess, n: number): Promise<number[]> {
  const statuses: number[] = [];
  let left = n;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (left-- > 0) statuses.push((await fetch(`${hub.url}/livez`)).status);
    }),
  );
  return statuses;
}

describe('a log reader that stalls or goes away', () => {
  let hub: HubProcess | undefined;
  afterEach(async () => {
    await hub?.stop();
    hub = undefined;
  });

  it(
    'with stdout full and unread, the hub keeps serving and SIGTERM still ends it within SHUTDOWN_TIMEOUT_MS',
    { timeout: 90_000 },
    async () => {
      // Never read: once the pipe's buffer (a few hundred KB) is full, every write finds it full.
      hub = await HubProcess.start({ stdout: 'unread', env: LOGGING });
      // ~600 KB of log lines, more than the pipe holds; the hub answers every request regardless.
      const statuses = await requests(hub, 3000);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      const signalled = Date.now();
      const exit = await Promise.race([
        hub.kill('SIGTERM').then((e) => ({ ...e, at: Date.now() })),
        new Promise<null>((r) => setTimeout(() => r(null), 15_000)),
      ]);
      expect(exit, 'the hub was still running 15 s after SIGTERM').not.toBeNull();
      // 2 s of SHUTDOWN_TIMEOUT_MS, and the last 100-ms retry of a write.
      expect(exit!.at - signalled).toBeLessThan(2000 + 1500);
      // Exited by itself, 1: its last lines could not be written.
      expect(exit).toMatchObject({ code: 1, signal: null });
    },
  );

  it('with stdout closed by its reader, the hub keeps serving and stops cleanly on SIGTERM', { timeout: 90_000 }, async () => {
    // The reader is gone before the first line: every log line and the dashboard banner meet EPIPE.
    hub = await HubProcess.start({ stdout: 'closed', env: LOGGING });
    const statuses = await requests(hub, 200);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(hub.child!.exitCode).toBeNull();
    const exit = await hub.kill('SIGTERM');
    expect(exit).toMatchObject({ code: 0, signal: null });
  });
});
