import type { ChildProcess } from 'node:child_process';

/**
 * Every child process a bench starts (hubs, load workers, agent fixtures) is registered here, so an
 * early exit — an error, Ctrl-C, a timeout — never leaves a hub or 1,000 agents running.
 */
const children = new Set<ChildProcess>();
let installed = false;

export function guardChild(child: ChildProcess | null | undefined): void {
  if (!child) return;
  install();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

function killAll(): void {
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    c.kill('SIGKILL');
  }
  children.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** Rejects after `ms` with a message naming what took too long; keeps benches bounded. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
