// `pnpm demo`: a hub and four agents hold a group conversation, work a task queue, survive an
// injected failure (one agent is killed and comes back with its state and missed events), and
// finish. Open the printed dashboard URL while it runs. DEMO_EXIT=1 stops everything at the end.
// It takes about a minute; DEMO_PACE scales every wait (0.5 = twice as fast, 2 = half as fast).
// The failure also puts the hub in degraded mode for a while, so the dashboard shows that banner.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const port = Number(process.env.DEMO_PORT ?? 3000);
const url = `http://127.0.0.1:${port}`;
const dataDir = path.resolve(process.env.DEMO_DATA_DIR ?? path.join(root, 'data-demo'));
const token = process.env.HUB_TOKEN ?? randomBytes(18).toString('base64url');
const exitAtEnd = process.env.DEMO_EXIT === '1';
const say = (msg: string) => process.stdout.write(`[demo] ${msg}\n`);
const pace = Number(process.env.DEMO_PACE ?? 1);
const paced = (ms: number) => Math.max(1, Math.round(ms * pace));
// About 20 spoken turns of this, plus the failure, recovery and degraded period: about a minute.
const thinkMs = process.env.DEMO_THINK_MS ?? String(paced(3000));

const CAST = [
  {
    id: 'planner',
    name: 'Planner',
    capabilities: ['plan'],
    lines: ['Here is the plan: three tasks on the board.', 'Checking the plan against progress.'],
  },
  {
    id: 'researcher',
    name: 'Researcher',
    capabilities: ['research'],
    lines: ['Gathered the facts we need.', 'Cross-checked the sources.'],
  },
  { id: 'writer', name: 'Writer', capabilities: ['write'], lines: ['Drafted the launch note.', 'Tightened the wording.'] },
  {
    id: 'reviewer',
    name: 'Reviewer',
    capabilities: ['review'],
    lines: ['Reviewed the draft; two small fixes.', 'Looks good to me.'],
    finisher: true,
  },
];

async function main(): Promise<void> {
  if (!Number.isFinite(pace) || pace <= 0) refuse(`DEMO_PACE=${process.env.DEMO_PACE}: must be a number above 0`);
  // A hub already on the port would answer our checks, and the URL we print would be its, not ours.
  if (!(await portFree(port))) refuse(`DEMO_PORT=${port}: port ${port} on 127.0.0.1 is in use (another hub?); stop it or set DEMO_PORT`);
  await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const hub = startHub();
  await waitReady();
  say(`hub up. Dashboard: ${url}/?token=${token}`);

  const agents = new Map<string, ChildProcess>();
  for (const a of CAST) agents.set(a.id, await startAgent(a));
  await waitFor(
    async () => (await api('GET', '/api/agents')).items.filter((a: any) => a.health === 'healthy').length === CAST.length,
    20_000,
  );

  const group = await api('POST', '/api/groups', {
    members: CAST.map((a) => a.id),
    strategy: 'round-robin',
    maxTurns: 24,
    stopWord: 'DONE',
    turnTimeoutMs: 8000,
    prompt: 'Write a short launch note for Agent Hub. Planner, break it down.',
  });
  for (const title of ['Collect facts', 'Draft the note', 'Review the draft'])
    await api('POST', `/api/groups/${group.id}/tasks`, { title });
  // Agents learn the group from the event bus (critical, so even a late or restarted agent replays it).
  await api('POST', '/api/events', { topic: 'demo:group', priority: 'critical', payload: { groupId: group.id } });
  say(`group ${group.id.slice(0, 8)} created with ${CAST.length} agents, round-robin, 3 tasks`);

  // Injected failure: once a few turns have been spoken, kill the researcher outright.
  await waitFor(async () => (await api('GET', `/api/groups/${group.id}`)).turn >= 6, 60_000);
  say('injecting a failure: SIGKILL researcher');
  agents.get('researcher')!.kill('SIGKILL');
  await waitFor(async () => ['recovering', 'disconnected'].includes((await api('GET', '/api/agents/researcher')).health), 10_000);
  say('the hub noticed (researcher is recovering); a supervisor restarts it shortly');
  const degraded = await waitFor(async () => ((await hubStatus()).degraded ? await hubStatus() : null), 10_000);
  say(`the hub entered degraded mode (${degraded.degradedReason}): new sessions are refused for a while`);
  await new Promise((r) => setTimeout(r, paced(6000)));
  agents.set('researcher', await startAgent(CAST[1]!));
  await waitFor(async () => (await api('GET', '/api/agents/researcher')).health === 'healthy', 20_000);
  say(`researcher recovered (recoveries: ${(await api('GET', '/api/agents/researcher')).recoveries})`);
  await waitFor(async () => !(await hubStatus()).degraded, paced(60_000) + 10_000);
  say('the hub left degraded mode');

  const ended = await waitFor(async () => {
    const g = await api('GET', `/api/groups/${group.id}`);
    return g.status === 'ended' ? g : null;
  }, 120_000);
  const tasks = await api('GET', `/api/groups/${group.id}/tasks`);
  const session = await api('GET', `/api/sessions/${ended.sessionId}`);
  const events = await api('GET', '/api/events?patterns=demo:%23&limit=1000');
  say(`group ended: ${ended.endedReason}`);
  say(`tasks: ${tasks.items.map((t: any) => `${t.title}=${t.status}`).join(', ')}`);
  say(
    `conversation: ${session.messageCount} messages; speakers: ${session.messages
      .filter((m: any) => m.author)
      .map((m: any) => m.author)
      .join(' → ')}`,
  );
  say(`event bus: ${events.items.length} demo events persisted`);
  say(
    `SUMMARY ${JSON.stringify({ ended: ended.endedReason, tasksDone: tasks.items.filter((t: any) => t.status === 'done').length, messages: session.messageCount, researcherRecoveries: (await api('GET', '/api/agents/researcher')).recoveries })}`,
  );

  if (!exitAtEnd) {
    say(`still running for the dashboard: ${url}/?token=${token}  (Ctrl+C to stop)`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
  // The hub first: stopped agents would count as failures and log a last degraded mode on the way out.
  hub.kill('SIGTERM');
  await new Promise((r) => hub.once('exit', r));
  for (const a of agents.values()) a.kill('SIGTERM');
}

function startHub(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/hub/src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      HUB_TOKEN: token,
      AGENT_SECRET: randomBytes(18).toString('base64url'),
      LOG_LEVEL: 'warn',
      LIVENESS_INTERVAL_MS: '1000',
      LIVENESS_TIMEOUT_MS: '800',
      // More than 0 failures (the one injected) shows degraded mode; it is left once quiet for a while.
      DEGRADE_FAILURES: '0',
      DEGRADE_CHECK_INTERVAL_MS: String(paced(2000)),
      DEGRADE_RECOVER_AFTER_MS: String(paced(15_000)),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code) => code && code !== 0 && say(`hub exited ${code}`));
  return child;
}

async function startAgent(a: (typeof CAST)[number]): Promise<ChildProcess> {
  const { token: agentToken } = await api('POST', '/api/agents/tokens', { agentId: a.id });
  const cfg = {
    thinkMs: Number(thinkMs),
    url,
    agentId: a.id,
    token: agentToken,
    name: a.name,
    capabilities: a.capabilities,
    lines: a.lines,
    finisher: a.finisher,
    stateFile: path.join(dataDir, `${a.id}.json`),
  };
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, 'examples/demo-agent.ts'), JSON.stringify(cfg)], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function api(method: string, pathname: string, body?: unknown): Promise<any> {
  const res = await fetch(url + pathname, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${method} ${pathname}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function hubStatus(): Promise<{ degraded: boolean; degradedReason: string | null }> {
  return (await fetch(`${url}/livez`)).json() as Promise<{ degraded: boolean; degradedReason: string | null }>;
}

function portFree(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(p, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function refuse(line: string): never {
  process.stderr.write(`[demo] ${line}\n`);
  process.exit(2);
}

async function waitReady(): Promise<void> {
  await waitFor(async () => (await fetch(`${url}/ready`).catch(() => null))?.ok ?? false, 30_000);
}

async function waitFor<T>(fn: () => Promise<T>, timeoutMs: number): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`demo step timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

main().catch((err) => {
  say(`failed: ${(err as Error).message}`);
  process.exit(1);
});
