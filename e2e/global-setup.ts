import { execFileSync } from 'node:child_process';
import { repoRoot } from './support/repo-root.ts';

/** The hub serves apps/dashboard/dist at `/`, so build it once before any spec starts a hub. */
export default function globalSetup(): void {
  execFileSync('pnpm', ['--filter', '@agent-hub/dashboard', 'build'], { cwd: repoRoot, stdio: 'inherit' });
}
