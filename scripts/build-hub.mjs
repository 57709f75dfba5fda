// Builds the hub for production: apps/hub/dist/main.mjs and the PGlite store's worker
// (dist/pglite-worker.mjs), plain JavaScript that `node` runs without tsx. tsx in a running hub costs
// ~45 MB in the main thread and as much again in the store's worker (each loads its own hooks
// thread and compiles every module on start): docs/operations.md, "The production build".
//
// Only the workspace's own TypeScript is bundled. Every other package stays a package: its import
// is rewritten to the file Node itself would resolve from the importing source file, as a path
// relative to dist/, so pnpm's layout (a package sees only its own dependencies) holds and files a
// package finds beside itself (PGlite's WASM, for one) stay where it looks for them. The tree moves
// as a whole; after `pnpm install` changes a dependency, build again (`pnpm start` always does).
//
// `import.meta.url` in a workspace source keeps meaning that source's location (the migrations,
// the dashboard and package.json are found from it), rewritten relative to the bundle.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
// `--outdir=DIR` builds elsewhere (the tests do, so as not to replace a running hub's build).
const outdirArg = process.argv.slice(2).find((a) => a.startsWith('--outdir='));
const outdir = outdirArg ? path.resolve(outdirArg.slice('--outdir='.length)) : path.join(root, 'apps/hub/dist');
const storeThread = path.join(root, 'packages/store/src/pglite/pglite-thread.ts');

/** A relative import specifier from the bundle's folder to `file`. */
const fromOutdir = (file) => {
  const rel = path.relative(outdir, file).split(path.sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
};

const workspaceSources = {
  name: 'agent-hub-workspace',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData?.resolving || args.path.startsWith('@agent-hub/')) return undefined;
      const found = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: { resolving: true } });
      if (found.errors.length > 0) return { errors: found.errors };
      if (found.external) return { path: found.path, external: true }; // node: built-ins
      return { path: fromOutdir(found.path), external: true };
    });
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = await readFile(args.path, 'utf8');
      const here = `new URL(${JSON.stringify(fromOutdir(args.path))}, import.meta.url).href`;
      return { contents: source.replaceAll('import.meta.url', here), loader: 'ts' };
    });
  },
};

const started = Date.now();
const result = await build({
  entryPoints: {
    main: path.join(root, 'apps/hub/src/main.ts'),
    'pglite-worker': path.join(root, 'packages/store/src/pglite/pglite-worker.ts'),
  },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Resolve packages as Node does for `import`: no `module` condition, `main` only.
  conditions: [],
  mainFields: ['main'],
  sourcemap: 'linked',
  // The store starts this bundle's worker itself rather than the TypeScript one through tsx.
  define: {
    AGENT_HUB_STORE_WORKER: JSON.stringify(
      path.relative(path.dirname(storeThread), path.join(outdir, 'pglite-worker.mjs')).split(path.sep).join('/'),
    ),
  },
  metafile: true,
  plugins: [workspaceSources],
  logLevel: 'warning',
});
const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.mjs'));
const sizes = outputs.map(([file, o]) => `${path.basename(file)} ${(o.bytes / 1024).toFixed(0)} KiB`).join(', ');
console.log(`hub built in ${Date.now() - started} ms: ${sizes} (${path.relative(process.cwd(), outdir) || '.'})`);
