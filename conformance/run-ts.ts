// conformance/ is no workspace package, so the SDK is imported by path, as the hub's own tests import it.
import { connectAgent, joinGroup, type AgentClient, type ConnectOptions } from '../packages/sdk/src/index.ts';
import type { HubEvent, PublishResult } from '../packages/protocol/src/index.ts';
import { DEFAULT_STEP_MS, mismatch, type Harness, type Scenario, type Step, type StepReport } from './scenario.ts';

/** Where the TypeScript runner finds its hub and harness. */
export interface RunContext {
  url: string;
  /** Mints agent tokens through `POST /api/agents/tokens`, as an agent's deployment would. */
  operatorToken: string;
  harness: Harness;
}

/**
 * Runs the scenario with the TypeScript SDK, one step after another, and stops at the first step
 * that fails (later steps build on it). The same client object lives from `register` to
 * `agent_restart`: resuming after the hub's restarts is the SDK's job, not the runner's.
 */
export async function runWithSdk(scenario: Scenario, ctx: RunContext): Promise<StepReport[]> {
  const run = new SdkRun(ctx);
  const reports: StepReport[] = [];
  try {
    for (const [index, step] of scenario.steps.entries()) {
      const started = Date.now();
      try {
        await within(step.withinMs ?? DEFAULT_STEP_MS, run.perform(step), step.op);
        reports.push({ index, op: step.op, ok: true, ms: Date.now() - started });
      } catch (err) {
        reports.push({ index, op: step.op, ok: false, ms: Date.now() - started, error: err instanceof Error ? err.message : String(err) });
        break;
      }
    }
  } finally {
    await run.closeAll();
  }
  return reports;
}

class SdkRun {
  private main: AgentClient | null = null;
  private connectOptions: ConnectOptions | null = null;
  private readonly handled = new Map<string, number>();
  private readonly handledOffsets: number[] = [];
  private readonly published = new Map<string, PublishResult>();
  private readonly pending = new Map<string, Promise<PublishResult>>();
  private readonly sessions = new Map<string, string>();
  private resumed = 0;
  private resumedAtStop = 0;
  private shutdownNotices = 0;
  private readonly others = new Set<AgentClient>();

  constructor(private readonly ctx: RunContext) {}

  async perform(s: Step): Promise<void> {
    switch (s.op) {
      case 'register':
        return expectMatch((await this.connectMain(s.agent, s.capabilities ?? [])).info, s.expect);
      case 'subscribe':
        return expectMatch(await this.client.subscribe(s.patterns, (e) => this.record(e), { policy: s.policy }), s.expect);
      case 'publish':
        return this.publish(s);
      case 'await_publishes':
        for (const id of s.ids) {
          const p = this.pending.get(id);
          if (!p) throw new Error(`no publish of ${id} is pending`);
          expectMatch(await p, s.expect);
          this.pending.delete(id);
        }
        return;
      case 'operator_publish':
        await this.ctx.harness.perform({ op: 'operator_publish', topic: s.topic, payload: s.payload, id: s.id });
        return;
      case 'expect_events':
        return this.expectEvents(s.ids);
      case 'stop_hub':
        return this.stopHub(s.graceful === true);
      case 'start_hub':
        await this.ctx.harness.perform({ op: 'start_hub' });
        return;
      case 'expect_resumed':
        await waitUntil(
          () => this.resumed > this.resumedAtStop && this.client.connected,
          () => `the client did not resume (resumed ${this.resumed} times, connected: ${this.client.connected})`,
        );
        return;
      case 'session_create': {
        const created = await this.client.sessions.create({ metadata: s.metadata, messages: s.messages });
        this.sessions.set(s.as, created.id);
        return expectMatch(created, s.expect);
      }
      case 'session_append':
        return expectMatch(await this.client.sessions.append(this.session(s.session), { messages: s.messages }), s.expect);
      case 'session_state':
        return expectMatch(await this.client.sessions.setState(this.session(s.session), s.state), s.expect);
      case 'session_get':
        return expectMatch(await this.client.sessions.get(this.session(s.session)), s.expect);
      case 'session_restore':
        return this.expectRestored(await this.client.restoreState(), s.expect ?? []);
      case 'group_turns':
        return this.groupTurns(s.peers, s.maxTurns);
      case 'agent_restart':
        return this.restartAgent();
      case 'close':
        await this.client.close();
        this.main = null;
        return;
      default:
        throw new Error(`unknown op "${(s as { op: string }).op}"`);
    }
  }

  private get client(): AgentClient {
    if (!this.main) throw new Error('no client: the scenario must register first');
    return this.main;
  }

  private session(alias: string): string {
    const id = this.sessions.get(alias);
    if (!id) throw new Error(`no session saved as "${alias}"`);
    return id;
  }

  private async token(agentId: string): Promise<string> {
    const res = await fetch(`${this.ctx.url}/api/agents/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.ctx.operatorToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ agentId }),
    });
    if (res.status !== 201) throw new Error(`token for ${agentId}: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  }

  private async connectMain(agentId: string, capabilities: string[]): Promise<AgentClient> {
    this.connectOptions = { url: this.ctx.url, agentId, token: await this.token(agentId), capabilities };
    this.main = await connectAgent(this.connectOptions);
    this.resumed = this.resumedAtStop = this.shutdownNotices = 0;
    this.main.on('resumed', () => this.resumed++);
    this.main.on('hub:shutdown', () => this.shutdownNotices++);
    return this.main;
  }

  private record(e: HubEvent): void {
    this.handled.set(e.id, (this.handled.get(e.id) ?? 0) + 1);
    this.handledOffsets.push(e.offset);
  }

  private async publish(s: Extract<Step, { op: 'publish' }>): Promise<void> {
    const sent = this.client.publish(s.topic, s.payload, { id: s.id, priority: s.priority });
    if (s.await === false) {
      // Settled by a later `await_publishes`; until then its failure is that step's to report.
      sent.catch(() => undefined);
      this.pending.set(s.id, sent);
      return;
    }
    const result = await sent;
    expectMatch(result, s.expect);
    if (s.sameOffsetAs !== undefined) {
      const first = this.published.get(s.sameOffsetAs);
      if (first?.offset !== result.offset) throw new Error(`offset ${result.offset}, expected ${s.sameOffsetAs}'s offset ${first?.offset}`);
    } else this.published.set(s.id, result);
  }

  /** Every listed id handled exactly once, nothing else handled, in offset order. */
  private async expectEvents(ids: string[]): Promise<void> {
    await waitUntil(
      () => ids.every((id) => this.handled.has(id)),
      () => `not handled: ${JSON.stringify(ids.filter((id) => !this.handled.has(id)))}`,
    );
    await this.client.idle();
    const twice = [...this.handled].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
    if (twice.length) throw new Error(`handled more than once: ${twice.join(', ')}`);
    const extra = [...this.handled.keys()].filter((id) => !ids.includes(id));
    if (extra.length) throw new Error(`handled but not expected: ${JSON.stringify(extra)}`);
    const backwards = this.handledOffsets.findIndex((o, i) => i > 0 && o <= this.handledOffsets[i - 1]!);
    if (backwards > 0) throw new Error(`handled out of offset order: ${JSON.stringify(this.handledOffsets)}`);
  }

  private async stopHub(graceful: boolean): Promise<void> {
    this.resumedAtStop = this.resumed;
    const noticesBefore = this.shutdownNotices;
    await this.ctx.harness.perform({ op: 'stop_hub', graceful });
    await waitUntil(
      () => !this.client.connected,
      () => 'the client still reports a connection to the stopped hub',
      5_000,
    );
    // A graceful stop announces itself (protocol.md, "Reconnecting", step 3); a kill cannot.
    if (graceful && this.shutdownNotices === noticesBefore) throw new Error('no hub:shutdown notice before the graceful stop');
  }

  private expectRestored(
    restored: Array<{ sessionId: string; state: unknown }>,
    expected: Array<{ session: string; state: unknown }>,
  ): void {
    for (const want of expected) {
      const id = this.session(want.session);
      const entry = restored.find((r) => r.sessionId === id);
      if (!entry) throw new Error(`agent:restore has no entry for session ${want.session} (${id}): ${JSON.stringify(restored)}`);
      expectMatch(entry.state, want.state);
    }
  }

  /** The harness seats this client's agent and `peers` more SDK agents in one group; each answers its turns. */
  private async groupTurns(peers: number, maxTurns: number): Promise<void> {
    const main = this.client;
    const mainId = this.connectOptions!.agentId;
    const seated: Array<[string, AgentClient]> = [[mainId, main]];
    for (let i = 1; i <= peers; i++) {
      const agentId = `${mainId}-peer${i}`;
      const peer = await connectAgent({ url: this.ctx.url, agentId, token: await this.token(agentId), capabilities: ['conformance'] });
      this.others.add(peer);
      seated.push([agentId, peer]);
    }
    const members = seated.map(([id]) => id);
    const group = (await this.ctx.harness.perform({ op: 'group_create', members, maxTurns })) as { id: string };
    const seats = await Promise.all(
      seated.map(([id, client]) => joinGroup(client, group.id, (turn) => `${id} speaks on turn ${turn.turn}`)),
    );
    const reasons = await Promise.all(seats.map((seat) => seat.ended));
    if (!reasons.every((r) => r.includes('max turns'))) throw new Error(`the group ended otherwise: ${JSON.stringify(reasons)}`);
    await this.ctx.harness.perform({ op: 'group_check', groupId: group.id, members, maxTurns });
    for (const [, client] of seated.slice(1)) {
      await client.close();
      this.others.delete(client);
    }
  }

  /** A restarted agent process: a new client object for the same agent id. */
  private async restartAgent(): Promise<void> {
    await this.client.close();
    this.main = await connectAgent(this.connectOptions!);
  }

  async closeAll(): Promise<void> {
    await Promise.all([this.main, ...this.others].map(async (c) => c?.close()));
  }
}

function expectMatch(actual: unknown, expected: unknown): void {
  if (expected === undefined) return;
  const m = mismatch(actual, expected);
  if (m) throw new Error(m);
}

// Shorter than a step's own limit, so a wait that gives up says what it waited for.
async function waitUntil(ok: () => boolean, why: () => string, timeoutMs = DEFAULT_STEP_MS - 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(why());
    await new Promise((r) => setTimeout(r, 50));
  }
}

function within<T>(ms: number, work: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
