// The entry of a worker thread or a child process (the store's) that loads a TypeScript module.
// On Node 20 a worker does not get the parent's tsx loader, not even with `--import tsx` in its
// execArgv (its entry is loaded before the hooks apply), and a child process is started without
// the parent's flags, so this plain-JS entry registers tsx and then imports the real entry,
// `workerData.entry` (a child process gets the same data as JSON in argv[2]). Works the same
// under `node --import tsx` and under vitest.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { workerData } from 'node:worker_threads';

// tsx is a dependency of the hub, not of this package: in the production image only the hub's
// folder has it, so look from here (the workspace root in development) and then from the places
// the parent says it was started from. Its ESM `register()` is taken through the package's
// export map because `import()` resolves from this file only, and the CommonJS build of
// `tsx/esm/api` cannot register (and `import 'tsx'` does not hook a worker's imports on Node 20).
function findTsxApi(searchFrom) {
  for (const base of searchFrom) {
    let manifest;
    try {
      manifest = createRequire(base).resolve('tsx/package.json');
    } catch (err) {
      if (err?.code === 'MODULE_NOT_FOUND') continue;
      throw err;
    }
    const { exports } = JSON.parse(readFileSync(manifest, 'utf8'));
    return new URL(exports['./esm/api'].import.default, pathToFileURL(manifest)).href;
  }
  throw new Error(`tsx was not found from ${searchFrom.join(', ')}; it is needed to start a worker from TypeScript`);
}

const data = workerData ?? JSON.parse(process.argv[2]);
const { register } = await import(findTsxApi([import.meta.url, ...data.tsxSearchFrom]));
register();
await import(data.entry);
