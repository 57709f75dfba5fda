import { parseArgs } from 'node:util';
import { openStore } from '@agent-hub/store';
import { TopicPattern } from '@agent-hub/protocol';
import { ConfigError, loadConfig } from '../config.ts';
import { HUB_PID_FILE, describeError, runningHubPid } from '../startup/index.ts';
import { exportEvents, importEvents } from './event-log-files.ts';
import { TokenCommandError, createToken, formatTokenList, hubLink, listTokens, revokeToken } from './token-commands.ts';

const USAGE = `usage: pnpm hub <command> [options]
  events:export [--dir DIR] [--patterns p1,p2] [--from ISO]   write the event log as DIR/<topic>.log (JSONL; topic percent-encoded, ':' as %3A)
  events:import [--dir DIR]                                   load DIR/*.log back (ids already present are skipped)
  tokens:create --name NAME --scope read|operate|admin        make an operator credential; prints its token once
  tokens:list                                                 list operator credentials (never their tokens)
  tokens:revoke ID|NAME                                       revoke one; refused at once on every node
    tokens:* talk to the running hub over HTTP (--url URL, default http://HOST:PORT) as admin: the token
    from --token-file FILE, else HUB_TOKEN, else DATA_DIR/operator-token. Every change is in the audit log.
  --help                                                      show this
events:* open the store chosen by the same environment as the hub (DATA_DIR, DATABASE_URL, STORE); with an embedded store (PGlite, file) stop the hub first: it allows one process, and they refuse to run beside it.`;

/** A mistake in how the command was called: one line, exit code 2. */
class UsageError extends Error {}

/** Operator commands against the hub's store, configured like the hub itself. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (command?.startsWith('tokens:')) return tokens(command, rest);
  if (command !== 'events:export' && command !== 'events:import') {
    process.stderr.write(USAGE + '\n');
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: { dir: { type: 'string' }, patterns: { type: 'string' }, from: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const patterns = values.patterns?.split(',').map(parsePattern);
  const from = values.from ? Date.parse(values.from) : undefined;
  if (from !== undefined && Number.isNaN(from)) throw new UsageError(`--from is not a date: ${values.from}`);
  const config = loadConfig();
  if (config.storeKind === 'pglite' || config.storeKind === 'file') {
    const pid = await runningHubPid(config.DATA_DIR);
    if (pid !== null) {
      throw new UsageError(
        `a hub (pid ${pid}) is running on DATA_DIR=${config.DATA_DIR} and its ${config.storeKind} store allows one process; stop it first (see ${HUB_PID_FILE} there)`,
      );
    }
  }
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

/**
 * Credentials go through the running hub, not its store: the embedded store (the default) allows
 * one process, so a store-level command would mean stopping the hub to make a token; and only the
 * hub can write the audit entry, with the address, and close a revoked credential's dashboards.
 */
async function tokens(command: string, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      name: { type: 'string' },
      scope: { type: 'string' },
      url: { type: 'string' },
      'token-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: command === 'tokens:revoke',
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const link = await hubLink(loadConfig(), { url: values.url, tokenFile: values['token-file'] });
  switch (command) {
    case 'tokens:create': {
      const t = await createToken(link, values.name, values.scope);
      process.stdout.write(`created ${t.scope} credential "${t.name}" (id ${t.id}); its token, shown only now:\n${t.token}\n`);
      return 0;
    }
    case 'tokens:list':
      process.stdout.write(formatTokenList(await listTokens(link)) + '\n');
      return 0;
    case 'tokens:revoke': {
      if (positionals.length > 1) throw new UsageError('tokens:revoke takes one id or name');
      const t = await revokeToken(link, positionals[0]);
      process.stdout.write(`revoked credential "${t.name}" (id ${t.id}) at ${t.revokedAt}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${command}; see pnpm hub --help`);
  }
}

function parsePattern(p: string): string {
  const r = TopicPattern.safeParse(p);
  if (r.success) return r.data;
  throw new UsageError(`--patterns: ${JSON.stringify(p)} is not a topic pattern: ${r.error.issues.map((i) => i.message).join('; ')}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    const usage =
      err instanceof UsageError ||
      err instanceof TokenCommandError ||
      err instanceof ConfigError ||
      /^ERR_PARSE_ARGS/.test((err as NodeJS.ErrnoException)?.code ?? '');
    const line = err instanceof ConfigError ? err.problems.join('; ') : describeError(err);
    process.stderr.write(`agent-hub: ${line}\n`);
    process.exit(usage ? 2 : 1);
  },
);
