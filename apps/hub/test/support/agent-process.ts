import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './hub-process.ts';

const fixture = fileURLToPath(new URL('../fixtures/agent-main.ts', import.meta.url));

export interface AgentLine {
  type: string;
  [k: string]: unknown;
}

/** A real agent process (the SDK in a child) whose stdout lines the test can wait for. */
export class AgentProcess {
  readonly lines: AgentLine[] = [];
  private waiters: Array<() => void> = [];
  private stderr = '';

  private constructor(readonly child: ChildProcess) {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.lines.push(JSON.parse(line));
        } catch {
          continue;
        }
        this.waiters.splice(0).forEach((w) => w());
      }
    });
    child.stderr!.on('data', (d) => (this.stderr = (this.stderr + d).slice(-5000)));
  }

  static async start(config: Record<string, unknown>): Promise<AgentProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, JSON.stringify(config)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const a = new AgentProcess(child);
    await a.waitFor((l) => l.type === 'ready', 20_000);
    return a;
  }

  async waitFor(pred: (l: AgentLine) => boolean, timeoutMs = 10_000): Promise<AgentLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find(pred);
      if (hit) return hit;
      if (this.child.exitCode !== null && !this.lines.some(pred)) {
        throw new Error(`agent exited ${this.child.exitCode} before the expected line:\n${this.stderr}`);
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`agent line not seen within ${timeoutMs} ms; have ${JSON.stringify(this.lines.slice(-5))}\n${this.stderr}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  events(): AgentLine[] {
    return this.lines.filter((l) => l.type === 'event');
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    if (this.child.signalCode === null) this.child.kill('SIGCONT');
    this.child.kill('SIGKILL');
    await exited;
  }
}
