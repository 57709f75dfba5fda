import { describe, expect, it } from 'vitest';
import { HubProcess } from './support/hub-process.ts';

// An error nothing handles ends the hub (its state is unknown), but with a CRITICAL line in the
// JSON log that names it, not only Node's stack on stderr. A module loaded before the hub's own
// code plays the stray promise (or throw) of a dependency once the hub runs (on SIGUSR2).
const strayOnSignal = (code: string) => `--import=data:text/javascript,${encodeURIComponent(`process.on('SIGUSR2', () => { ${code} });`)}`;

async function crashLine(hub: HubProcess): Promise<Record<string, unknown>> {
  const exited = new Promise<{ code: number | null }>((resolve) => hub.child!.once('exit', (code) => resolve({ code })));
  hub.child!.kill('SIGUSR2');
  const exit = await exited;
  expect(exit.code).toBe(1);
  const line = hub.output.split('\n').find((l) => l.includes('CRITICAL: '));
  expect(line, hub.output).toBeDefined();
  return JSON.parse(line!) as Record<string, unknown>;
}

describe('errors nothing handles', () => {
  it('logs an unhandled rejection as CRITICAL in JSON, then exits 1', { timeout: 60_000 }, async () => {
    const hub = await HubProcess.start({ nodeArgs: [strayOnSignal(`Promise.reject(new Error('stray rejection'));`)] });
    try {
      const line = await crashLine(hub);
      expect(line).toMatchObject({ level: 60, kind: 'unhandled rejection', msg: 'CRITICAL: unhandled rejection; exiting' });
      expect(JSON.stringify(line.err)).toContain('stray rejection');
    } finally {
      await hub.stop();
    }
  });

  it('logs an uncaught exception as CRITICAL in JSON, then exits 1', { timeout: 60_000 }, async () => {
    const hub = await HubProcess.start({ nodeArgs: [strayOnSignal(`throw new Error('stray throw');`)] });
    try {
      const line = await crashLine(hub);
      expect(line).toMatchObject({ level: 60, kind: 'uncaught exception' });
      expect(JSON.stringify(line.err)).toContain('stray throw');
    } finally {
      await hub.stop();
    }
  });
});
