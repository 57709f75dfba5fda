import { HubProcess } from '../apps/hub/test/support/hub-process.ts';
import type { Harness, HarnessRequest } from './scenario.ts';

/** A hub starting on a busy two-core CI machine has been seen to need 40 s (PGlite, tsx). */
export const HUB_READY_MS = 120_000;

/**
 * The hub side of a conformance run: one real hub process on its default store (PGlite in
 * DATA_DIR, so a stop and start keep sessions, offsets and the event log), stopped and started on
 * the same port, and the operator API for what a client cannot do itself.
 */
export class HubHarness implements Harness {
  private constructor(readonly hub: HubProcess) {}

  static async start(): Promise<HubHarness> {
    // A short announced reconnect delay keeps the graceful restart quick; the rest is the default config.
    return new HubHarness(await HubProcess.start({ env: { RECONNECT_BASE_MS: '300' }, readyTimeoutMs: HUB_READY_MS }));
  }

  get url(): string {
    return this.hub.url;
  }

  get operatorToken(): string {
    return this.hub.token;
  }

  /** Starts the hub again if a run stopped it and failed before starting it, so the next run is judged alone. */
  async ensureRunning(): Promise<void> {
    const child = this.hub.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) await this.hub.spawn();
  }

  async perform(request: HarnessRequest): Promise<unknown> {
    switch (request.op) {
      case 'stop_hub': {
        const exit = await this.hub.kill(request.graceful ? 'SIGTERM' : 'SIGKILL');
        if (request.graceful && exit.code !== 0)
          throw new Error(`the hub did not stop cleanly: ${JSON.stringify(exit)}\n${this.hub.output}`);
        return exit;
      }
      case 'start_hub':
        await this.hub.spawn();
        return { url: this.hub.url };
      case 'operator_publish':
        return this.api('POST', '/api/events', { topic: request.topic, payload: request.payload, id: request.id }, 201);
      case 'group_create':
        return this.api(
          'POST',
          '/api/groups',
          { members: request.members, maxTurns: request.maxTurns, prompt: 'Conformance: take turns.' },
          201,
        );
      case 'group_check':
        return this.checkTurns(request.groupId, request.members, request.maxTurns);
    }
  }

  /** The hub's own record of the conversation: ended after maxTurns, speakers in seat order. */
  private async checkTurns(groupId: string, members: string[], maxTurns: number): Promise<{ authors: string[] }> {
    const group = (await this.api('GET', `/api/groups/${groupId}`)) as { status: string; spokenTurns: number; sessionId: string };
    if (group.status !== 'ended' || group.spokenTurns !== maxTurns) {
      throw new Error(`group ${groupId}: expected ended after ${maxTurns} spoken turns, got ${group.status} after ${group.spokenTurns}`);
    }
    const session = (await this.api('GET', `/api/sessions/${group.sessionId}`)) as {
      messages: Array<{ role: string; author: string | null }>;
    };
    const authors = session.messages.filter((m) => m.role === 'agent').map((m) => m.author ?? '');
    const rotation = Array.from({ length: maxTurns }, (_, i) => members[i % members.length]);
    if (JSON.stringify(authors) !== JSON.stringify(rotation)) {
      throw new Error(
        `group ${groupId}: turns did not alternate: spoken by ${JSON.stringify(authors)}, expected ${JSON.stringify(rotation)}`,
      );
    }
    return { authors };
  }

  private async api(method: string, pathname: string, body?: unknown, status = 200): Promise<unknown> {
    const res = await this.hub.api(pathname, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    const answer: unknown = await res.json();
    if (res.status !== status) throw new Error(`${method} ${pathname} answered ${res.status}: ${JSON.stringify(answer)}`);
    return answer;
  }

  async stop(): Promise<void> {
    await this.hub.stop();
  }
}
