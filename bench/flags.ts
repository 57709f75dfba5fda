/** `--name=value` and bare `--name` command-line flags, read once by each bench's entry point. */
export class Flags {
  private readonly values = new Map<string, string>();

  constructor(argv: string[] = process.argv.slice(2)) {
    for (const arg of argv) {
      if (arg === '--') continue; // `pnpm bench -- --quick` passes the separator through
      const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/i.exec(arg);
      if (!m) throw new Error(`unrecognised argument "${arg}" (flags look like --name=value)`);
      this.values.set(m[1]!, m[2] ?? 'true');
    }
  }

  has(name: string): boolean {
    const v = this.values.get(name);
    return v !== undefined && v !== 'false' && v !== '0';
  }

  string<T extends string>(name: string, fallback: T, allowed?: readonly T[]): T {
    const v = (this.values.get(name) ?? fallback) as T;
    if (allowed && !allowed.includes(v)) throw new Error(`--${name} must be one of ${allowed.join(', ')}; got "${v}"`);
    return v;
  }

  number(name: string, fallback: number): number {
    const raw = this.values.get(name);
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number; got "${raw}"`);
    return v;
  }

  /** `--name=K=V,K2=V2`: extra environment settings, e.g. `--hub-env=EVENT_BATCH_MAX=1000`. */
  env(name: string): Record<string, string> {
    return Object.fromEntries(
      this.string(name, '')
        .split(',')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
  }
}
