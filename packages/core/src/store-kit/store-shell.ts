import { HubError } from '@agent-hub/protocol';
import type { AgentStore, CheckpointStore, EventLog, KeyValueStore, SessionStore, Store, StoreKind } from '../ports/store.ts';

export function storeClosedError(): HubError {
  return new HubError('STORE_UNAVAILABLE', 'the store is closed', { cause: 'closed' });
}

/**
 * Wraps every method of a store part so that a closed store refuses calls with STORE_UNAVAILABLE
 * without reaching the backend, and a failure goes through `translate` (an adapter maps its
 * backend's connection failures to STORE_UNAVAILABLE there), without a try/catch per method.
 */
export function refusingWhenClosed<T extends object>(
  target: T,
  isClosed: () => boolean,
  translate: (err: unknown) => unknown = (err) => err,
): T {
  // Every store call goes through here: one wrapper per method, made on first use (keyed by the
  // function, so a method replaced on the part gets its own).
  const wrappers = new WeakMap<object, (...args: unknown[]) => Promise<unknown>>();
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...a: unknown[]) => unknown;
      let wrapper = wrappers.get(method);
      if (!wrapper) {
        wrapper = async (...args: unknown[]) => {
          if (isClosed()) throw storeClosedError();
          try {
            return await method.apply(obj, args);
          } catch (err) {
            throw translate(err);
          }
        };
        wrappers.set(method, wrapper);
      }
      return wrapper;
    },
  });
}

/** What an adapter hands the shell: its five parts and how to ping and release its backend. */
export interface StoreShellParts {
  sessions: SessionStore;
  events: EventLog;
  agents: AgentStore;
  kv: KeyValueStore;
  checkpoints: CheckpointStore;
  /** A trivial round trip to the backend. */
  ping(): Promise<void>;
  /** Gives the backend up; called once, by the first `close()`. */
  release(): Promise<void>;
  /** Maps the backend's failures (see `refusingWhenClosed`); unchanged when absent. */
  translate?: (err: unknown) => unknown;
}

/**
 * The part every store adapter shares: parts and ping refuse calls once the store is closed and
 * report failures through the adapter's `translate`; `close()` is idempotent (later calls wait for
 * the first one's release).
 */
export abstract class StoreShell implements Store {
  abstract readonly kind: StoreKind;
  readonly sessions: SessionStore;
  readonly events: EventLog;
  readonly agents: AgentStore;
  readonly kv: KeyValueStore;
  readonly checkpoints: CheckpointStore;
  private readonly probe: { ping(): Promise<void> };
  private readonly release: () => Promise<void>;
  private closed = false;
  private closing: Promise<void> | undefined;

  protected constructor({ sessions, events, agents, kv, checkpoints, ping, release, translate }: StoreShellParts) {
    const isClosed = () => this.closed;
    const guard = <T extends object>(part: T) => refusingWhenClosed(part, isClosed, translate);
    this.sessions = guard(sessions);
    this.events = guard(events);
    this.agents = guard(agents);
    this.kv = guard(kv);
    this.checkpoints = guard(checkpoints);
    this.probe = guard({ ping });
    this.release = release;
  }

  ping(): Promise<void> {
    return this.probe.ping();
  }

  /** Idempotent: later calls wait for the first one. */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= this.release();
    return this.closing;
  }
}
