import { fileURLToPath } from 'node:url';

/** The drizzle-kit output at the repository root (packages/store/src/sql → ../../../../drizzle). */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../../drizzle', import.meta.url));
