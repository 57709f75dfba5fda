import { HubError } from '@agent-hub/protocol';
import type { TimerHandle } from '../ports/clock.ts';
import type { KeyValueStore } from '../ports/store.ts';
import { GROUP_KEY_PREFIX, groupKey, type GroupState } from './group-state.ts';
import { upgradeTasks } from './task-queue.ts';

/** A loaded group: its committed document and what the engine runs for it meanwhile. */
export interface Runtime {
  state: GroupState;
  version: number;
  turnTimer: { key: string; handle: TimerHandle } | null;
  endTimer: TimerHandle | null;
  /** Armed for the earliest task lease deadline (keyed by it). */
  leaseTimer: { key: string; handle: TimerHandle } | null;
  selecting: { controller: AbortController; token: number } | null;
  advanceQueued: boolean;
}

const PUT_ATTEMPTS = 3;

/**
 * The groups this engine has loaded, each backed by one JSON document in the KeyValueStore. Work on
 * one group runs one step at a time (`serial`); writes are compare-and-set, and a conflict (another
 * engine wrote meanwhile) re-reads the document and re-applies the change.
 */
export class GroupDocuments {
  private readonly runtimes = new Map<string, Runtime>();
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(private readonly kv: KeyValueStore) {}

  loaded(): IterableIterator<Runtime> {
    return this.runtimes.values();
  }

  async ids(): Promise<string[]> {
    return (await this.kv.listKeys(GROUP_KEY_PREFIX)).map((k) => k.slice(GROUP_KEY_PREFIX.length));
  }

  /**
   * The group as committed now. Another hub node may have moved it on since this one last looked
   * (several nodes serve one group's members), so every step starts from the stored document;
   * the runtime (timers) stays, and a timer for a turn that moved on finds a different turn id.
   */
  async load(id: string): Promise<Runtime> {
    const stored = await this.read(id);
    const known = this.runtimes.get(id);
    if (!known) return this.track(stored.value, stored.version);
    if (stored.version !== known.version) {
      known.state = stored.value;
      known.version = stored.version;
    }
    return known;
  }

  async insert(state: GroupState): Promise<Runtime> {
    const version = await this.kv.putValue(groupKey(state.id), state, 0);
    return this.track(state, version);
  }

  /** Applies `change` to a copy of the document and writes it; the runtime sees the copy only once written. */
  async commit<T>(rt: Runtime, change: (draft: GroupState) => T): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const draft = structuredClone(rt.state);
      const result = change(draft);
      try {
        rt.version = await this.kv.putValue(groupKey(draft.id), draft, rt.version);
      } catch (err) {
        if (!HubError.is(err, 'VERSION_CONFLICT') || attempt >= PUT_ATTEMPTS) throw err;
        const fresh = await this.read(draft.id);
        rt.state = fresh.value;
        rt.version = fresh.version;
        continue;
      }
      rt.state = draft;
      return result;
    }
  }

  /** Runs `fn` one at a time per group, in call order. */
  serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(id, tail);
    void tail.then(() => {
      if (this.chains.get(id) === tail) this.chains.delete(id);
    });
    return run;
  }

  /** Resolves once the steps queued so far have run. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.chains.values()]);
  }

  private async read(id: string): Promise<{ value: GroupState; version: number }> {
    const stored = await this.kv.getValue<GroupState>(groupKey(id));
    if (!stored) throw new HubError('GROUP_NOT_FOUND', `no group ${id}`);
    upgradeTasks(stored.value.tasks);
    // Documents written before handoffs and per-group llm settings existed.
    stored.value.handoff ??= null;
    stored.value.settings.llm ??= null;
    return stored;
  }

  private track(state: GroupState, version: number): Runtime {
    const rt: Runtime = { state, version, turnTimer: null, endTimer: null, leaseTimer: null, selecting: null, advanceQueued: false };
    this.runtimes.set(state.id, rt);
    return rt;
  }
}
