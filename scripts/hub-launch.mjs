// How the production hub is launched: `pnpm start` (package.json) and the Docker image (Dockerfile)
// run `node apps/hub/dist/main.mjs` with these settings, and the benches and the production-build
// test start the build with them too. apps/hub/test/production-build.test.ts checks that the three
// agree. Why each one: docs/operations.md#memory.

/**
 * Environment for the process. glibc reads it once, when the process starts, so it cannot be set
 * from inside the hub. Fixing the mmap threshold at its default (128 KiB) keeps glibc from raising
 * it: V8 compiling PGlite's WASM frees large blocks, glibc then raises the threshold, and later
 * large blocks land in per-thread arenas that it never gives back (~50 MiB of a PGlite hub's RSS).
 */
export const HUB_LAUNCH_ENV = Object.freeze({ MALLOC_MMAP_THRESHOLD_: '131072' });

/**
 * Node flags. A 4 MiB semi-space (V8's default grows to 16 MiB under load) caps the young
 * generation of the main thread and of the store's worker at ~12 MiB each instead of ~48 MiB.
 * A heap growing factor of 1.5 after each full collection (V8's adaptive one goes up to 4) keeps
 * the old generation near what is live: ~90 MB less RSS after a 10,000 events/s run.
 */
export const HUB_LAUNCH_NODE_ARGS = Object.freeze(['--max-semi-space-size=4', '--heap-growing-percent=50']);

/** The shell command line that launches `entry` with these settings, as `pnpm start` does. */
export function hubLaunchCommand(entry = 'apps/hub/dist/main.mjs') {
  return [...Object.entries(HUB_LAUNCH_ENV).map(([k, v]) => `${k}=${v}`), 'node', ...HUB_LAUNCH_NODE_ARGS, entry].join(' ');
}
