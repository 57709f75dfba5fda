import type { Redis } from 'ioredis';
import { LOG_SCRIPTS } from './log-scripts.ts';
import { SESSION_SCRIPTS } from './session-scripts.ts';

type ScriptName = keyof typeof SESSION_SCRIPTS | keyof typeof LOG_SCRIPTS;
type ScriptArg = string | number;

/** The store's Lua scripts as commands of the client (EVALSHA, falling back to EVAL once). */
export type StoreScripts = Record<ScriptName, (...args: ScriptArg[]) => Promise<unknown>>;

const READ_ONLY: ReadonlySet<ScriptName> = new Set(['hubReadEvents']);

export function defineStoreScripts(client: Redis): StoreScripts {
  const all = { ...SESSION_SCRIPTS, ...LOG_SCRIPTS };
  for (const [name, lua] of Object.entries(all)) {
    // No declared keys: the scripts derive theirs from the prefix, so they need a single
    // (non-cluster) server, which is what the store supports.
    client.defineCommand(name, { lua, numberOfKeys: 0, readOnly: READ_ONLY.has(name as ScriptName) });
  }
  const commands = client as unknown as StoreScripts;
  return Object.fromEntries(Object.keys(all).map((name) => [name, commands[name as ScriptName].bind(client)])) as StoreScripts;
}
