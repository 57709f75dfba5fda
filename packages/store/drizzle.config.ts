import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'drizzle-kit';

// drizzle-kit resolves these against the working directory (and mangles absolute paths), so
// make them relative to wherever it runs: `pnpm db:generate` at the root or drizzle-kit here.
const fromHere = (path: string) => relative(process.cwd(), fileURLToPath(new URL(path, import.meta.url)));

export default defineConfig({
  dialect: 'postgresql',
  schema: fromHere('./src/schema.ts'),
  out: fromHere('../../drizzle'),
});
