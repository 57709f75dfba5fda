/**
 * Runs every bench in sequence, each in its own process, and prints their tables as they come.
 *
 *   pnpm bench            (node --import tsx bench/run.ts)
 *   pnpm bench --quick    shorter versions, each ~10–20 s of measuring
 *   pnpm bench --only=events,health   (any bench/<name>.ts, e.g. --only=cluster)
 *   pnpm bench restart --agents=500    (bare words name benches; other flags go to the named ones)
 *
 * Benches owned by others (speaker-selection, storage-compare) run when their files exist; they
 * get --quick only if their source mentions it.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { guardChild } from './child-guard.ts';
import { waitForQuiet } from './cpu-meter.ts';
import { Flags } from './flags.ts';
import { fmtMs, printTable } from './stats.ts';

interface Bench {
  name: string;
  file: string;
  args: string[];
  /** Hard cap; the bench is killed (by pid) past it so a run always ends. */
  limitMs: number;
}

/** How long to wait for other work on the shared machine to calm down before each bench. */
const QUIET_WAIT_MS = 10_000;

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

/**
 * Ours, then the others' that exist. `only` may also name any other bench/<name>.ts (e.g.
 * `--only=cluster`), which is left out of the default run to keep it within ~5 minutes.
 */
function plan(quick: boolean, only: string[]): Bench[] {
  const q = quick ? ['--quick'] : [];
  const ours: Bench[] = [
    { name: 'events', file: here('./events.ts'), args: q, limitMs: quick ? 150_000 : 300_000 },
    { name: 'sessions', file: here('./sessions.ts'), args: q, limitMs: quick ? 90_000 : 180_000 },
    { name: 'health', file: here('./health.ts'), args: q, limitMs: quick ? 120_000 : 240_000 },
    { name: 'restart', file: here('./restart.ts'), args: q, limitMs: quick ? 120_000 : 240_000 },
    // 2 x 5,000/s for 30 s is 300,000 events: past the event bus's 200,000-id dedupe window, where
    // a hub once slowed to a crawl that the 10-s events runs never reached.
    ...(quick ? [] : [{ name: 'overload', file: here('./overload.ts'), args: [], limitMs: 180_000 }]),
  ];
  const ownNames = new Set(ours.map((b) => b.name));
  const otherNames = only.length ? only.filter((n) => !ownNames.has(n)) : ['speaker-selection', 'storage-compare'];
  const others = otherNames
    .map((name) => ({ name, file: here(`./${name}.ts`) }))
    .filter((b) => existsSync(b.file))
    .map((b) => ({ ...b, args: quick && readFileSync(b.file, 'utf8').includes('--quick') ? ['--quick'] : [], limitMs: 180_000 }));
  return [...ours, ...others];
}

function runOne(b: Bench): Promise<{ code: number | null; ms: number; timedOut: boolean }> {
  const t0 = performance.now();
  console.log(`=== ${b.name} ${b.args.join(' ')} ===`);
  const child = spawn(process.execPath, ['--import', 'tsx', b.file, ...b.args], { stdio: 'inherit' });
  guardChild(child);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    // The bench's own exit handler kills its hub and workers on SIGTERM; SIGKILL if it does not go.
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  }, b.limitMs);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, ms: performance.now() - t0, timedOut });
    }),
  );
}

async function main(): Promise<void> {
  // Bare words name benches: `pnpm bench restart` is `pnpm bench --only=restart`.
  const args = process.argv.slice(2);
  const f = new Flags(args.filter((a) => a.startsWith('-')));
  const only = [...args.filter((a) => !a.startsWith('-')), ...f.string('only', '').split(',').filter(Boolean)];
  const own = (a: string) => a === '--' || /^--(only|quick)(=|$)/.test(a);
  const passed = only.length ? args.filter((a) => a.startsWith('-') && !own(a)) : [];
  const benches = plan(f.has('quick'), only)
    .filter((b) => only.length === 0 || only.includes(b.name))
    .map((b) => ({ ...b, args: [...b.args, ...passed] }));
  const missing = only.filter((n) => !benches.some((b) => b.name === n));
  if (missing.length) throw new Error(`--only: no bench named ${missing.join(', ')} in bench/`);
  console.log(`Agent Hub benchmarks — ${process.version}, ${new Date().toISOString()}${f.has('quick') ? ' (quick)' : ''}`);
  const results: string[][] = [];
  let failed = 0;
  for (const b of benches) {
    const background = await waitForQuiet(QUIET_WAIT_MS);
    console.log(`\n(background load before ${b.name}: ${background.toFixed(2)} cores busy outside this run)`);
    const r = await runOne(b);
    const ok = r.code === 0 && !r.timedOut;
    if (!ok) failed++;
    results.push([b.name, ok ? 'ok' : r.timedOut ? `killed after ${fmtMs(b.limitMs)}` : `exit ${r.code}`, fmtMs(r.ms)]);
  }
  printTable('Summary', ['bench', 'result', 'time'], results);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
