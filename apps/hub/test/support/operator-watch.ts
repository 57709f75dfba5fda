import { io, type Socket } from 'socket.io-client';
import type { AgentInfo, HealthTransition, HubStatus } from '@agent-hub/protocol';

/** Listens on /operators like the dashboard does, recording transitions with receipt times. */
export class OperatorWatch {
  readonly transitions: Array<HealthTransition & { receivedAt: number }> = [];
  readonly statuses: HubStatus[] = [];
  readonly agents = new Map<string, AgentInfo>();
  private constructor(readonly socket: Socket) {
    socket.on('health:transition', (t: HealthTransition) => this.transitions.push({ ...t, receivedAt: Date.now() }));
    socket.on('hub:status', (s: HubStatus) => this.statuses.push(s));
    socket.on('agents:snapshot', (list: AgentInfo[]) => list.forEach((a) => this.agents.set(a.id, a)));
    socket.on('agent:update', (a: AgentInfo) => this.agents.set(a.id, a));
  }

  static async connect(url: string, token: string): Promise<OperatorWatch> {
    const socket = io(`${url}/operators`, { auth: { token }, transports: ['websocket'], forceNew: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return new OperatorWatch(socket);
  }

  /** Resolves with the first transition of `agentId` to `to` (received after `since`). */
  async waitFor(agentId: string, to: string, timeoutMs = 10_000, since = 0): Promise<HealthTransition & { receivedAt: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.transitions.find((t) => t.agentId === agentId && t.to === to && t.receivedAt >= since);
      if (hit) return hit;
      if (Date.now() > deadline) {
        const seen = this.transitions.filter((t) => t.agentId === agentId).map((t) => `${t.from}->${t.to} (${t.reason})`);
        throw new Error(`no ${agentId} -> ${to} within ${timeoutMs} ms; saw ${seen.join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async waitForStatus(pred: (s: HubStatus) => boolean, timeoutMs = 10_000): Promise<HubStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.statuses.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline)
        throw new Error(`hub status not reached within ${timeoutMs} ms; last ${JSON.stringify(this.statuses.at(-1))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.socket.close();
  }
}
