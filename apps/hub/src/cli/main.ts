import { parseArgs } from 'node:util';
import { openStore } from '@agent-hub/store';
import { TopicPattern } from '@agent-hub/protocol';
import { ConfigError, loadConfig } from '../config.ts';
import { exportEvents, importEvents } from './event-log-files.ts';

const USAGE = `usage: pnpm hub <command> [options]
  events:export [--dir DIR] [--patterns p1,p2] [--from ISO]   write the event log as DIR/<topic>.log (JSONL)
  events:import [--dir DIR]                                   load DIR/*.log back (ids already present are skipped)
The store is chosen by the same environment as the hub (DATA_DIR, DATABASE_URL, STORE).
Run it while the hub is stopped when the store is the embedded PGlite (it allows one process).`;

/** Operator commands against the hub's store, configured like the hub itself. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: { dir: { type: 'string' }, patterns: { type: 'string' }, from: { type: 'string' } },
    allowPositionals: false,
  });
  if (command !== 'events:export' && command !== 'events:import') {
    process.stderr.write(USAGE + '\n');
    return 2;
  }
  const config = loadConfig();
  const dir = values.dir ?? `${config.DATA_DIR}/events`;
  const store = await openStore({
      kind: config.storeKind,
      dataDir: config.DATA_DIR,
      databaseUrl: config.DATABASE_URL,
      redisUrl: config.REDIS_URL,
      redisKeyPrefix: `${config.REDIS_PREFIX}store:`,
    });
  try {
    if (command === 'events:export') {
      const patterns = values.patterns?.split(',').map((p) => TopicPattern.parse(p));
      const from = values.from ? Date.parse(values.from) : undefined;
      if (from !== undefined && Number.isNaN(from)) throw new Error(`--from is not a date: ${values.from}`);
      const n = await exportEvents(store.events, dir, { patterns, from });
      process.stdout.write(`exported ${n} events to ${dir}\n`);
    } else {
      const r = await importEvents(store.events, dir);
      process.stdout.write(`read ${r.read} events from ${dir}; ${r.added} were new\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`agent-hub: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    process.exit(1);
  },
);
