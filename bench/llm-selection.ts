/**
 * LLM speaker selection against models of three speeds, per selection budget: how many turns
 * the model decides (the rest fall back to round-robin) and what a turn costs.
 *
 *   node --import tsx bench/llm-selection.ts [--groups=3] [--turns=6] [--budgets=100,1000,5000]
 *
 * A local fake OpenAI-compatible endpoint (node:http on 127.0.0.1) answers after 50 ms, 500 ms
 * or 3 s, naming the agent the last message hands over to ("… over to agent-2"), as JSON when
 * asked for a structured answer. `--groups` llm groups run at once per row, plus one round-robin
 * bystander group whose turn latency shows a waiting llm group holds nobody else up.
 * Turn latency = the speaker's `speak` call → the next `group:turn` grant (selection included).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  agentInfo,
  GroupEngine,
  LLM_ENDPOINT_DEFAULTS,
  LlmSelector,
  SessionService,
  silentLogger,
  systemClock,
  type LlmEndpoint,
} from '@agent-hub/core';
import { MemoryStore } from '@agent-hub/store';
import { CreateGroup } from '@agent-hub/protocol';
import { Flags } from './flags.ts';
import { fmtMs, fmtPct, printTable, summarize } from './stats.ts';

const flags = new Flags();
const GROUPS = flags.number('groups', 3);
const TURNS = flags.number('turns', 6);
const BUDGETS = flags.string('budgets', '100,1000,5000').split(',').map(Number);
const LATENCIES = [50, 500, 3000];
const SEATS = 4;
/** The bystander's agents take this long to answer, like a real agent would (not counted). */
const BYSTANDER_THINK_MS = 20;

/** Answers after `delayMs` with the agent the last message hands over to, if it is eligible. */
function fakeModel(delayMs: number): Promise<Server> {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw);
      const prompt: string = body.messages[1].content;
      const eligible = [...prompt.matchAll(/^- (\S+) \(/gm)].map((m) => m[1]!);
      const lastLine = /Recent conversation \(oldest first\):\n([\s\S]*?)\n\nLast speaker/.exec(prompt)?.[1]?.split('\n').at(-1) ?? '';
      const named = /over to (\S+?)\.?$/.exec(lastLine)?.[1];
      const speaker = named && eligible.includes(named) ? named : eligible[0];
      const content = body.response_format ? JSON.stringify({ speaker }) : speaker;
      const t = setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content } }] }));
      }, delayMs);
      res.on('close', () => clearTimeout(t));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface RowResult {
  decided: number;
  grants: number;
  turn: number[];
  bystander: number[];
}

/** `g1-a2` sits in group g1 with g1-a0 … g1-a3: an agent finds its group mates from its own name. */
const seatsOf = (group: string) => Array.from({ length: SEATS }, (_, k) => `${group}-a${k}`);
const groupOf = (agentId: string) => agentId.slice(0, agentId.lastIndexOf('-'));

/** One row: `GROUPS` llm groups on one endpoint and budget, side by side with a round-robin group. */
async function row(endpoint: string, budgetMs: number, selector: LlmSelector): Promise<RowResult> {
  const store = new MemoryStore();
  const sessions = new SessionService({ store: store.sessions, clock: systemClock, newId: randomUUID, cacheSize: 100 });
  const spokeAt = new Map<string, number>();
  const r: RowResult = { decided: 0, grants: 0, turn: [], bystander: [] };
  // eslint-disable-next-line prefer-const -- assigned below, after the callbacks that use it are built
  let engine!: GroupEngine;
  let llmLeft = GROUPS;
  let allDone!: () => void;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const onGrant = (agentId: string, t: { groupId: string; turnId: string; turn: number }) => {
    const bystander = groupOf(agentId) === 'rr';
    const spoke = spokeAt.get(t.groupId);
    if (spoke !== undefined) (bystander ? r.bystander : r.turn).push(performance.now() - spoke);
    const others = seatsOf(groupOf(agentId)).filter((m) => m !== agentId);
    const next = others[(t.turn * 7) % others.length];
    const say = () => {
      spokeAt.set(t.groupId, performance.now());
      void engine
        .speak(agentId, { groupId: t.groupId, turnId: t.turnId, content: `done with step ${t.turn}; over to ${next}` })
        .catch(() => undefined);
    };
    if (bystander) setTimeout(say, BYSTANDER_THINK_MS);
    else say();
  };
  engine = new GroupEngine({
    transport: {
      grantTurn: onGrant,
      broadcast: () => {},
      joinRoom: () => {},
      leaveRoom: () => {},
      ended: (groupId) => {
        if (groupId !== bystanderId && --llmLeft === 0) allDone();
      },
    },
    sessions,
    publish: async () => undefined,
    kv: store.kv,
    agentInfo: (id) => agentInfo(id, { recovery: 'restart', node: null }),
    clock: systemClock,
    newId: randomUUID,
    logger: silentLogger,
    selectors: { llm: selector },
  });
  let bystanderId = '';
  engine.on('decision', (d) => {
    if (d.outcome !== 'granted' || d.groupId === bystanderId) return;
    r.grants++;
    if (d.reason === 'llm') r.decided++;
  });
  bystanderId = (await engine.create(CreateGroup.parse({ members: seatsOf('rr'), maxTurns: 100_000, maxConsecutive: 1000 }))).id;
  for (let i = 0; i < GROUPS; i++) {
    await engine.create(
      CreateGroup.parse({ members: seatsOf(`g${i}`), strategy: 'llm', maxTurns: TURNS, maxConsecutive: 1000, llm: { endpoint, budgetMs } }),
    );
  }
  await done;
  await engine.end(bystanderId);
  await engine.close();
  await store.close();
  return r;
}

async function main(): Promise<void> {
  const servers = await Promise.all(LATENCIES.map(fakeModel));
  const endpoints: Record<string, LlmEndpoint> = {};
  LATENCIES.forEach((ms, i) => {
    const port = (servers[i]!.address() as AddressInfo).port;
    endpoints[`model-${ms}ms`] = { ...LLM_ENDPOINT_DEFAULTS, url: `http://127.0.0.1:${port}/v1`, model: 'fake', structuredOutput: true };
  });
  const selector = new LlmSelector({ endpoints, timeoutMs: 100 });
  const rows: string[][] = [];
  const started = performance.now();
  for (const ms of LATENCIES) {
    for (const budget of BUDGETS) {
      const r = await row(`model-${ms}ms`, budget, selector);
      const t = summarize(r.turn);
      const b = summarize(r.bystander);
      rows.push([
        `${ms} ms`,
        `${budget} ms`,
        `${r.decided}/${r.grants}`,
        fmtPct(r.decided / r.grants),
        fmtMs(t.p50),
        fmtMs(t.p95),
        String(b.n),
        fmtMs(b.p50),
        fmtMs(b.p95),
      ]);
    }
  }
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  printTable(
    `LLM speaker selection: ${GROUPS} llm groups x ${TURNS} turns per row, 4 seats, structured answers (${process.version}, ${new Date().toISOString()})`,
    ['model answers in', 'budget', 'by model', 'share', 'turn p50', 'turn p95', 'bystander turns', 'bystander p50', 'bystander p95'],
    rows,
    [
      'by model: grants the model decided; the rest fell back to round-robin (budget exceeded).',
      'turn: speak call → next grant of the same llm group. bystander: a round-robin group running meanwhile (speak → next grant).',
      `whole run ${((performance.now() - started) / 1000).toFixed(1)} s`,
    ],
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
