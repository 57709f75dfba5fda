// One agent of the demo (examples/demo.ts starts several). Config: one JSON argument.
// It learns the group id from the event bus, takes its seat, answers its turns, works the task
// queue, saves its state in the group's session, and resumes where it was after a restart.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { connectAgent, groupTasks, joinGroup, type GroupParticipant } from '@agent-hub/sdk';

interface DemoAgentConfig {
  url: string;
  agentId: string;
  token: string;
  name: string;
  capabilities: string[];
  lines: string[];
  /** How long each turn is thought over, so the rotation is watchable (the demo sets it from DEMO_PACE). */
  thinkMs: number;
  stateFile: string;
  finisher?: boolean;
}

const cfg = JSON.parse(process.argv[2]!) as DemoAgentConfig;
const log = (msg: string) => process.stdout.write(`[${cfg.agentId}] ${msg}\n`);
interface SavedState {
  lastOffset?: number;
  turns?: number;
  groupId?: string;
}
/** The state saved before a restart; none (first start) or unreadable means starting afresh. */
async function loadState(): Promise<SavedState> {
  const text = await readFile(cfg.stateFile, 'utf8').catch(() => null);
  if (text === null) return {};
  try {
    return JSON.parse(text) as SavedState;
  } catch {
    log('saved state unreadable; starting afresh');
    return {};
  }
}
const saved = await loadState();
let turns = saved.turns ?? 0;

const agent = await connectAgent({
  url: cfg.url,
  agentId: cfg.agentId,
  token: cfg.token,
  name: cfg.name,
  capabilities: cfg.capabilities,
  recovery: 'restart',
  lastOffset: saved.lastOffset,
  reconnectDelayMs: 200,
});
let groupId: string | undefined = saved.groupId;
// Written whole or not at all: a SIGKILL in the middle of a write must not leave a truncated file.
let writes = 0;
const persist = async () => {
  const tmp = `${cfg.stateFile}.${process.pid}.${++writes}.tmp`;
  await writeFile(tmp, JSON.stringify({ lastOffset: agent.lastOffset ?? undefined, turns, groupId }));
  await rename(tmp, cfg.stateFile);
};
log(saved.lastOffset !== undefined ? `back again; resuming after event #${saved.lastOffset}` : 'connected');

let seat: GroupParticipant | null = null;
let ended = false;
let replaying = saved.lastOffset !== undefined;
async function takeSeat(id: string): Promise<void> {
  groupId = id;
  try {
    seat = await joinGroup(agent, id, (turn, ctx) => speak(id, turn.turn, ctx.messages.length));
  } catch (err) {
    // The others may finish the work while this agent is down; it stays online, seatless.
    if ((err as { code?: string }).code !== 'GROUP_ENDED') throw err;
    log(`group ${id.slice(0, 8)} finished while I was away; nothing left to rejoin`);
    ended = true;
    return;
  }
  const restored = (await agent.restoreState()).find((s) => s.sessionId === seat!.group.sessionId);
  if (restored?.state) log(`restored my state from the session: ${JSON.stringify(restored.state)}`);
  log(`took my seat in group ${id.slice(0, 8)}`);
  await persist();
}
await agent.subscribe(
  ['demo:#'],
  async (e) => {
    agent.progress();
    if (e.topic === 'demo:group' && !seat && !ended) await takeSeat((e.payload as { groupId: string }).groupId);
    else if (replaying && e.topic !== 'demo:group') log(`replayed what I missed: ${e.topic} #${e.offset}`);
    await persist();
  },
  { policy: 'full' },
);
replaying = false;
// A restarted agent goes back to the group it was in.
if (groupId && !seat && !ended) await takeSeat(groupId);

async function speak(groupId: string, turn: number, seen: number) {
  agent.progress();
  await new Promise((r) => setTimeout(r, cfg.thinkMs));
  turns++;
  const tasks = groupTasks(agent, groupId);
  const { items } = await tasks.list();
  const mine = items.find((t) => t.status === 'claimed' && t.claimedBy === cfg.agentId);
  let note = '';
  if (mine) {
    await tasks.complete(mine.id, { by: cfg.agentId, turn });
    note = ` (finished "${mine.title}")`;
  } else {
    const open = items.find((t) => t.status === 'open');
    if (open) {
      await tasks.claim(open.id);
      note = ` (took "${open.title}")`;
    }
  }
  const line = cfg.lines[(turns - 1) % cfg.lines.length]!;
  const allDone = items.length > 0 && items.every((t) => t.status === 'done' || t.id === mine?.id);
  await agent.sessions.setState(seat!.group.sessionId, { turns, lastTurn: turn });
  await agent.publish('demo:progress', { agent: cfg.agentId, turn, note }, { priority: 'low' });
  await persist();
  const content = `${line}${note}${cfg.finisher && allDone ? ' All tasks are done. DONE' : ''}`;
  log(`turn ${turn}: ${content} [context: ${seen} messages]`);
  return content;
}

process.on('SIGTERM', async () => {
  await persist();
  await agent.close();
  process.exit(0);
});
