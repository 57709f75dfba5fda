import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Clock ticks per second for /proc accounting (USER_HZ); 100 on every Linux we run on. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat: all its
 * threads, or only thread `tid` (`/proc/<pid>/task/<tid>/stat`; the main thread's tid is the pid).
 */
export function cpuTimeMs(pid: number, tid?: number): number {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLK_TCK;
}

/** Busy and total jiffies of the whole machine (all cores), from the first line of /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const [, ...nums] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = nums.map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy, total: busy + idle! + iowait! };
}

const CORES = availableParallelism();

/**
 * Share of one core each process used between `start()` and `stop()` (1.0 = one core busy), plus
 * `others`: what the rest of the machine used meanwhile. The machine is shared, so a run where
 * other work took cores away is visible as such rather than passing for the hub's own cost.
 */
export class CpuMeter {
  private startCpu = new Map<number, number>();
  private startMachine = { busy: 0, total: 0 };
  private startedAt = 0;

  private startThreads = new Map<string, number>();

  /**
   * A name may stand for several processes (the hub and its store process): their CPU is summed.
   * `threads` names single threads ([pid, tid]) to report as well, e.g. the hub's main thread; they
   * are part of their process's figure, not added to the machine's total again.
   */
  constructor(
    private readonly pids: Record<string, number | number[]>,
    private readonly threads: Record<string, [number, number]> = {},
  ) {}

  start(): void {
    this.startedAt = performance.now();
    this.startMachine = machineTicks();
    for (const pid of Object.values(this.pids).flat()) this.startCpu.set(pid, cpuTimeMs(pid));
    for (const [name, [pid, tid]] of Object.entries(this.threads)) this.startThreads.set(name, cpuTimeMs(pid, tid));
  }

  stop(): Record<string, number> {
    const wall = performance.now() - this.startedAt;
    const out: Record<string, number> = {};
    let ours = 0;
    for (const [name, pids] of Object.entries(this.pids)) {
      try {
        out[name] = [pids].flat().reduce((sum, pid) => sum + (cpuTimeMs(pid) - this.startCpu.get(pid)!) / wall, 0);
        ours += out[name]!;
      } catch {
        out[name] = Number.NaN; // the process is gone
      }
    }
    for (const [name, [pid, tid]] of Object.entries(this.threads)) {
      try {
        out[name] = (cpuTimeMs(pid, tid) - this.startThreads.get(name)!) / wall;
      } catch {
        out[name] = Number.NaN;
      }
    }
    const m = machineTicks();
    const machine = ((m.busy - this.startMachine.busy) / Math.max(1, m.total - this.startMachine.total)) * CORES;
    out.others = Math.max(0, machine - ours);
    return out;
  }
}

/**
 * Waits (at most `maxWaitMs`) for a second in which the rest of the machine used less than
 * `maxCores`; returns the load of the last second measured. The machine is shared, and a bench
 * started under someone else's CPU-heavy job measures that job as much as ours.
 */
export async function waitForQuiet(maxWaitMs: number, maxCores = 0.3): Promise<number> {
  const deadline = performance.now() + maxWaitMs;
  for (;;) {
    const meter = new CpuMeter({});
    meter.start();
    await new Promise((r) => setTimeout(r, 1000));
    const load = meter.stop().others!;
    if (load < maxCores || performance.now() > deadline) return load;
  }
}

/** Resident and peak resident memory of a process (MB), from /proc/<pid>/status; 0 if it is gone. */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return { rssMb: 0, peakMb: 0 };
  }
}

/** The direct children of a process (the hub's PGlite store process, tsx's esbuild service). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The hub's store process, if its store runs in one (PGlite since 2026-12-05); null otherwise. */
export function storeProcessOf(hubPid: number): number | null {
  for (const pid of childPids(hubPid)) {
    try {
      // From the sources the store process runs tsx's bootstrap; from the build, the bundled worker.
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes('ts-worker-bootstrap') || cmdline.includes('pglite-worker.mjs')) return pid;
    } catch {
      // gone meanwhile
    }
  }
  return null;
}
