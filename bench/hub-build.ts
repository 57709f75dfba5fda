import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../apps/hub/test/support/hub-process.ts';
import { Flags } from './flags.ts';

let built: string | undefined;

/**
 * Which hub a bench starts, as options for `HubProcess.start`. `--hub=built` (the default) is what
 * `pnpm start` and the Docker image run: scripts/build-hub.mjs's bundle under plain node, built once
 * per bench process into a folder of its own. `--hub=source` runs the TypeScript sources through
 * tsx, as the tests do (and as every hub did before 2026-12-06: compare with it that way).
 */
export function benchHub(flags = new Flags()): { built?: string } {
  if (flags.string('hub', 'built', ['built', 'source'] as const) === 'source') return {};
  if (!built) {
    const dir = mkdtempSync(path.join(tmpdir(), 'agent-hub-bench-build-'));
    execFileSync(process.execPath, ['scripts/build-hub.mjs', `--outdir=${dir}`], { cwd: repoRoot, stdio: 'ignore' });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    built = path.join(dir, 'main.mjs');
    console.log(`hub under test: the production build (${built}); --hub=source runs the sources through tsx`);
  }
  return { built };
}
