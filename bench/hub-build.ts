import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../apps/hub/test/support/hub-process.ts';
import { hubLaunchCommand } from '../scripts/hub-launch.mjs';
import { Flags } from './flags.ts';

let built: string | undefined;

/**
 * Which hub a bench starts, as options for `HubProcess.start`. `--hub=built` (the default) is what
 * `pnpm start` and the Docker image run: scripts/build-hub.mjs's bundle, built once per bench
 * process into a folder of its own, launched with scripts/hub-launch.mjs's settings as they do.
 * `--hub=bare` runs the same build under bare `node`, without those settings (as every built hub
 * ran before 2026-12-06's seventh session). `--hub=source` runs the TypeScript sources through
 * tsx, as the tests do (and as every hub did before 2026-12-06: compare with it that way).
 */
export function benchHub(flags = new Flags()): { built?: string; bareLaunch?: boolean } {
  const which = flags.string('hub', 'built', ['built', 'bare', 'source'] as const);
  if (which === 'source') return {};
  if (!built) {
    const dir = mkdtempSync(path.join(tmpdir(), 'agent-hub-bench-build-'));
    execFileSync(process.execPath, ['scripts/build-hub.mjs', `--outdir=${dir}`], { cwd: repoRoot, stdio: 'ignore' });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    built = path.join(dir, 'main.mjs');
    console.log(
      which === 'bare'
        ? `hub under test: the production build (${built}) under bare node, without the launch settings of pnpm start`
        : `hub under test: the production build (${built}), launched as pnpm start does (${hubLaunchCommand(built)}); --hub=bare without those settings, --hub=source the sources through tsx`,
    );
  }
  return which === 'bare' ? { built, bareLaunch: true } : { built };
}
