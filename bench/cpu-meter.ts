import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second for /proc accounting (USER_HZ); 100 on every Linux we run on. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system, all threads) a process has used so far, in ms, from /proc/<pid>/stat. */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLK_TCK;
}

/** Share of one core each process used between `start()` and `stop()` (1.0 = one core busy). */
export class CpuMeter {
  private startCpu = new Map<number, number>();
  private startedAt = 0;

  constructor(private readonly pids: Record<string, number>) {}

  start(): void {
    this.startedAt = performance.now();
    for (const pid of Object.values(this.pids)) this.startCpu.set(pid, cpuTimeMs(pid));
  }

  stop(): Record<string, number> {
    const wall = performance.now() - this.startedAt;
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      try {
        out[name] = (cpuTimeMs(pid) - this.startCpu.get(pid)!) / wall;
      } catch {
        out[name] = Number.NaN; // the process is gone
      }
    }
    return out;
  }
}
