import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAgent } from '@agent-hub/sdk';
import type { HubEvent } from '@agent-hub/protocol';
import { childPids, memoryOf } from '../../../bench/cpu-meter.ts';
import { HUB_LAUNCH_ENV, HUB_LAUNCH_NODE_ARGS, hubLaunchCommand } from '../../../scripts/hub-launch.mjs';
import { HubProcess, repoRoot } from './support/hub-process.ts';

/**
 * The hub as `pnpm start` and the Docker image run it: scripts/build-hub.mjs's bundle under plain
 * `node`, no tsx. Built once into a folder of its own (not apps/hub/dist, which a running hub may
 * be using). What a build can break and the TypeScript sources cannot: packages resolved from the
 * bundle's folder, files found from `import.meta.url` (migrations, dashboard, package.json), and
 * the PGlite store's worker, which must start from the built file.
 */
const run = promisify(execFile);
let outdir = '';
let main = '';

beforeAll(async () => {
  outdir = await mkdtemp(path.join(tmpdir(), 'agent-hub-build-'));
  await run(process.execPath, ['scripts/build-hub.mjs', `--outdir=${outdir}`], { cwd: repoRoot });
  main = path.join(outdir, 'main.mjs');
}, 60_000);
afterAll(async () => {
  if (outdir) await rm(outdir, { recursive: true, force: true });
});

describe('the production build', () => {
  it('writes the hub and its store worker as JavaScript that imports no TypeScript', async () => {
    expect((await readdir(outdir)).filter((f) => f.endsWith('.mjs')).sort()).toEqual(['main.mjs', 'pglite-worker.mjs']);
    for (const file of ['main.mjs', 'pglite-worker.mjs']) {
      const code = await readFile(path.join(outdir, file), 'utf8');
      const specifiers = [...code.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((m) => m[1]!);
      expect(specifiers.length).toBeGreaterThan(0);
      expect(specifiers.filter((s) => s.endsWith('.ts') || s.includes('tsx'))).toEqual([]);
      // Every package import is a file that exists, relative to the bundle (pnpm's layout kept).
      const missing = specifiers.filter((s) => s.startsWith('.') && !existsSync(path.resolve(outdir, s)));
      expect(missing).toEqual([]);
    }
  });

  it('serves an SDK agent on PGlite and brings the same agent back after a restart', async () => {
    const hub = await HubProcess.start({ built: main });
    const opts = { url: hub.url, reconnectDelayMs: 200, reconnectDelayMaxMs: 1000 };
    const agent = await connectAgent({ ...opts, agentId: 'built-a', token: hub.tokens.issue('built-a') });
    const seen: HubEvent[] = [];
    try {
      const health = (await (await fetch(`${hub.url}/health`)).json()) as { version: string; checks: { store: { kind: string } } };
      expect(health.checks.store.kind).toBe('pglite');
      // version.ts reads the root package.json from its source location.
      const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
      expect(health.version).toBe(pkg.version);
      await agent.subscribe(['built:#'], (e: HubEvent) => void seen.push(e), { policy: 'full' });
      const first = await agent.publish('built:one', { n: 1 });
      expect(first.durable).toBe(true);

      const resumed = new Promise((r) => agent.once('resumed', r));
      expect((await hub.kill('SIGTERM')).code).toBe(0);
      await hub.spawn();
      await resumed;
      const second = await agent.publish('built:two', { n: 2 });
      expect(second.durable).toBe(true);
      expect(second.offset).toBeGreaterThan(first.offset);
      await waitFor(() => seen.some((e) => e.id === second.id), 10_000);
      expect(seen.map((e) => e.topic)).toEqual(['built:one', 'built:two']);
      // The migrations (found from the store's source folder) ran: the log is queryable.
      const logged = (await (await hub.api('/api/events?patterns=built:%23&limit=10')).json()) as { items: HubEvent[] };
      expect(logged.items.map((e) => e.id)).toEqual([first.id, second.id]);
    } finally {
      await agent.close();
      await hub.stop();
    }
  }, 90_000);

  it('serves the dashboard from the folder its source names', async () => {
    // The dashboard is built after the unit tests in `pnpm test`: stand one in if there is none,
    // so a wrong folder shows as the "not built" answer either way.
    const dist = path.join(repoRoot, 'apps/dashboard/dist');
    const standIn = !existsSync(path.join(dist, 'index.html'));
    if (standIn) {
      await mkdir(dist, { recursive: true });
      await writeFile(path.join(dist, 'index.html'), '<!doctype html><title>stand-in</title>');
    }
    const hub = await HubProcess.start({ built: main });
    try {
      const res = await fetch(`${hub.url}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(await readFile(path.join(dist, 'index.html'), 'utf8'));
    } finally {
      await hub.stop();
      if (standIn) await rm(dist, { recursive: true, force: true });
    }
  }, 60_000);

  it('is launched by pnpm start and the Docker image with the settings of scripts/hub-launch.mjs', async () => {
    expect(Object.keys(HUB_LAUNCH_ENV).length + HUB_LAUNCH_NODE_ARGS.length).toBeGreaterThan(0);
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start!.split(' && ').at(-1)).toBe(hubLaunchCommand());
    const dockerfile = await readFile(path.join(repoRoot, 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const env = Object.fromEntries([...runtime.matchAll(/^\s*(?:ENV\s+)?([A-Z_]+)=(\S+?)\s*\\?$/gm)].map((m) => [m[1]!, m[2]!]));
    for (const [k, v] of Object.entries(HUB_LAUNCH_ENV)) expect(env[k], k).toBe(v);
    const cmd = /^CMD (\[.*\])$/m.exec(runtime)?.[1];
    expect(JSON.parse(cmd!)).toEqual(['node', ...HUB_LAUNCH_NODE_ARGS, 'apps/hub/dist/main.mjs']);
  });

  it('holds less memory on PGlite launched with those settings than under bare node', async () => {
    // glibc and V8 read them at the process's start: a name misspelt or a setting that stops
    // reaching the process shows here, not in the check of the files above. Measured 2026-12-06:
    // idle on a new data folder, 249-253 MiB bare against 182-191 MiB (docs/operations.md#memory).
    const rss = async (bareLaunch: boolean) => {
      const hub = await HubProcess.start({ built: main, bareLaunch });
      try {
        // PGlite's WASM goes on being compiled (TurboFan, on V8's background threads) after the
        // start, later on a busy machine: wait until the RSS has held still for 4 s (at most 30 s).
        // 2 s of stillness once read a bare hub at 220 MiB, before its compile, in a full CI run.
        let last = memoryOf(hub.child!.pid!).rssMb;
        for (let still = 0, waited = 0; still < 4000 && waited < 30_000; waited += 250) {
          await new Promise((r) => setTimeout(r, 250));
          const now = memoryOf(hub.child!.pid!).rssMb;
          still = Math.abs(now - last) < 1 ? still + 250 : 0;
          last = now;
        }
        return last;
      } finally {
        await hub.stop();
      }
    };
    const bare = await rss(true);
    const launched = await rss(false);
    expect(launched, `bare ${bare.toFixed(0)} MiB, launched ${launched.toFixed(0)} MiB`).toBeLessThan(bare - 30);
  }, 120_000);

  it('starts the PGlite store process from the built worker, not through tsx', async () => {
    const hub = await HubProcess.start({ built: main, env: { PGLITE_ISOLATION: 'process' } });
    try {
      const children = await childCommands(hub.child!.pid!);
      expect(children).toEqual([[process.execPath, '--max-semi-space-size=2', path.join(outdir, 'pglite-worker.mjs'), expect.any(String)]]);
    } finally {
      await hub.stop();
    }
  }, 60_000);
});

/** The command lines of a process's children (Linux /proc). */
async function childCommands(pid: number): Promise<string[][]> {
  const found = await Promise.all(childPids(pid).map((child) => readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => '')));
  return found.filter(Boolean).map((cmdline) => cmdline.split('\0').filter(Boolean));
}

async function waitFor(ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
