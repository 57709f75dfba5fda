import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './hub-for-tests.ts';

const fixture = fileURLToPath(new URL('./fixtures/graph-agent.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

type Line = { type: string; [k: string]: unknown };

/** The graph agent as a real child process, with its stdout lines as they come. */
function runAgent(options: Record<string, unknown>) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fixture, JSON.stringify(options)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Line[] = [];
  let stderr = '';
  const waiters = new Set<() => void>();
  let buf = '';
  child.stdout!.on('data', (d) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      lines.push(JSON.parse(buf.slice(0, i)) as Line);
      buf = buf.slice(i + 1);
    }
    waiters.forEach((w) => w());
  });
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.on('exit', () => waiters.forEach((w) => w()));
  const waitFor = (type: string, timeoutMs = 30_000) =>
    new Promise<Line>((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`no "${type}" line within ${timeoutMs} ms: ${JSON.stringify(lines)}\n${stderr}`)),
        timeoutMs,
      );
      const check = () => {
        const hit = lines.find((l) => l.type === type);
        if (hit) done(undefined, hit);
        else if (child.exitCode !== null || child.signalCode !== null)
          done(new Error(`agent exited before "${type}": ${JSON.stringify(lines)}\n${stderr}`));
      };
      function done(err?: Error, line?: Line) {
        clearTimeout(timer);
        waiters.delete(check);
        if (err) reject(err);
        else resolve(line!);
      }
      waiters.add(check);
      check();
    });
  return { child, lines, waitFor, exited };
}

describe('a LangGraph run checkpointed in the hub', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ STORE: 'memory' });
  });
  afterAll(() => hub?.close());

  it('resumes from its last checkpoint after its agent process is SIGKILLed mid-run', async () => {
    const agentId = 'graph-runner';
    const base = { url: hub.url, agentId, token: hub.agentToken(agentId), threadId: 'run-1' };

    const first = runAgent({ ...base, hangAt: 'c' });
    expect(await first.waitFor('ready')).toMatchObject({ resuming: false });
    await first.waitFor('hanging');
    first.child.kill('SIGKILL');
    await first.exited;
    expect(first.lines.filter((l) => l.type === 'node').map((l) => l.name)).toEqual(['a', 'b', 'c']);

    const second = runAgent(base);
    // The last checkpoint is the one after b: c is next, a and b do not run again.
    expect(await second.waitFor('ready')).toMatchObject({ resuming: true, next: ['c'] });
    const done = await second.waitFor('done');
    expect(second.lines.filter((l) => l.type === 'node').map((l) => l.name)).toEqual(['c', 'd', 'e']);
    expect(done.state).toEqual({ visited: ['a', 'b', 'c', 'd', 'e'], total: 15, goal: 'count to five' });
    expect(await second.exited).toBe(0);
  });
});
