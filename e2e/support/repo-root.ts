import { fileURLToPath } from 'node:url';

/** The monorepo root, two levels above this file (e2e/support/). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
