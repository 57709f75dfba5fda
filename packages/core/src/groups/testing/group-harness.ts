import { randomUUID } from 'node:crypto';
import {
  CreateGroup,
  type AgentInfo,
  type CreateGroup as CreateGroupInput,
  type Group,
  type GroupMessageEvent,
  type GroupStrategy,
  type GroupTurnGrant,
  type HealthState,
  type HubEvent,
} from '@agent-hub/protocol';
import { silentLogger } from '../../ports/logger.ts';
import { SessionService } from '../../sessions/session-service.ts';
import { FakeClock } from '../../testing/fake-clock.ts';
import { GroupEngine } from '../group-engine.ts';
import type { GroupTransport } from '../group-transport.ts';
import type { SpeakerSelector } from '../strategies/speaker-selector.ts';
import { MemoryStore } from '../../memory-store/memory-store.ts';
import { agentInfo as baseAgentInfo } from '../../testing/agent-info.ts';

/** Records what the engine tells agents; `onGrant` lets a test play the agents' side. */
export class RecordingTransport implements GroupTransport {
  readonly grants: Array<GroupTurnGrant & { agentId: string }> = [];
  readonly messages: GroupMessageEvent[] = [];
  readonly endings: Array<{ groupId: string; reason: string }> = [];
  readonly rooms = new Map<string, Set<string>>();
  onGrant: ((agentId: string, turn: GroupTurnGrant) => void) | null = null;

  grantTurn(agentId: string, turn: GroupTurnGrant): void {
    this.grants.push({ agentId, ...turn });
    this.onGrant?.(agentId, turn);
  }

  broadcast(_groupId: string, _event: 'group:message', payload: GroupMessageEvent): void {
    this.messages.push(payload);
  }

  joinRoom(groupId: string, agentId: string): void {
    const room = this.rooms.get(groupId) ?? new Set<string>();
    room.add(agentId);
    this.rooms.set(groupId, room);
  }

  leaveRoom(groupId: string, agentId: string): void {
    this.rooms.get(groupId)?.delete(agentId);
  }

  ended(groupId: string, reason: string): void {
    this.endings.push({ groupId, reason });
    this.rooms.delete(groupId);
  }

  lastGrant(): GroupTurnGrant & { agentId: string } {
    const g = this.grants[this.grants.length - 1];
    if (!g) throw new Error('no turn granted yet');
    return g;
  }
}

export function agentInfo(id: string, o: { health?: HealthState; capabilities?: string[]; priority?: number } = {}): AgentInfo {
  return baseAgentInfo(id, { recovery: 'replace', ...o });
}

export interface HarnessOptions {
  agents: AgentInfo[];
  /** The store the engine keeps its documents and sessions in; share one to run several nodes. */
  store?: MemoryStore;
  clock?: FakeClock;
  selectors?: Partial<Record<GroupStrategy, SpeakerSelector>>;
  taskLeaseMs?: number;
}

/** A GroupEngine on the memory store and a fake clock, with a fake agent directory. */
export function groupHarness(o: HarnessOptions) {
  const clock = o.clock ?? new FakeClock();
  const { kv, sessions: sessionStore } = o.store ?? new MemoryStore();
  const sessions = new SessionService({ store: sessionStore, clock, newId: randomUUID, cacheSize: 100 });
  const directory = new Map(o.agents.map((a) => [a.id, a]));
  const transport = new RecordingTransport();
  const published: Array<Pick<HubEvent, 'topic' | 'priority' | 'payload'>> = [];
  const engine = new GroupEngine({
    transport,
    sessions,
    publish: async (e) => void published.push(e),
    kv,
    agentInfo: (id) => directory.get(id) ?? null,
    clock,
    newId: randomUUID,
    logger: silentLogger,
    selectors: o.selectors,
    taskLeaseMs: o.taskLeaseMs,
  });

  const h = {
    engine,
    clock,
    kv,
    sessionStore,
    sessions,
    transport,
    directory,
    published,

    create(input: CreateGroupInput): Promise<Group> {
      return engine.create(CreateGroup.parse(input));
    },

    /** Lets every pending promise and detached step run (all ports here answer without I/O). */
    async settle(): Promise<void> {
      for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    },

    /** Moves fake time on, then lets what the timers started finish. */
    async advance(ms: number): Promise<void> {
      clock.advance(ms);
      await h.settle();
    },

    setHealth(id: string, health: HealthState): void {
      const a = directory.get(id);
      if (!a) throw new Error(`unknown agent ${id}`);
      directory.set(id, { ...a, health });
      engine.healthChanged(id, health);
    },

    /** Makes agents answer their turns at once: `reply` returns the content, or null to stay silent. */
    autoReply(reply: (agentId: string, turn: GroupTurnGrant) => string | null = (id, t) => `${id} says hello (turn ${t.turn})`): void {
      transport.onGrant = (agentId, turn) => {
        const content = reply(agentId, turn);
        if (content === null) return;
        void engine.speak(agentId, { groupId: turn.groupId, turnId: turn.turnId, content }).catch(() => undefined);
      };
    },

    /** Who was granted a turn, in order. */
    granted(): string[] {
      return transport.grants.map((g) => g.agentId);
    },

    async view(id: string): Promise<Group> {
      return engine.get(id);
    },

    async close(): Promise<void> {
      await engine.close();
    },
  };
  return h;
}

export type GroupHarness = ReturnType<typeof groupHarness>;
