type Listener<A extends unknown[]> = (...args: A) => void;

/** Told about a listener that threw; the emitter has already moved on to the next listener. */
export type ListenerErrorHandler = (event: string, err: unknown) => void;

/** Without a handler set, a listener's error still shows: as a process warning (stderr), not a crash. */
const warnListenerError: ListenerErrorHandler = (event, err) => {
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  const message = `event listener for '${event}' failed: ${detail}`;
  if (typeof process !== 'undefined' && typeof process.emitWarning === 'function') {
    process.emitWarning(message, { code: 'AGENT_HUB_LISTENER_ERROR' });
  } else {
    console.warn(message);
  }
};

let listenerErrorHandler: ListenerErrorHandler = warnListenerError;

/**
 * Where every TypedEmitter reports a listener that threw (the hub points this at its logger).
 * Returns the handler it replaced; `null` restores the default process warning.
 */
export function setListenerErrorHandler(handler: ListenerErrorHandler | null): ListenerErrorHandler {
  const previous = listenerErrorHandler;
  listenerErrorHandler = handler ?? warnListenerError;
  return previous;
}

export interface TypedEmitterOptions {
  /** This emitter's own report of a listener that threw, instead of the module-wide handler. */
  onListenerError?: ListenerErrorHandler;
}

/** A minimal typed event emitter; listeners that throw are isolated from each other and reported. */
export class TypedEmitter<M extends { [K in keyof M]: unknown[] }> {
  private listeners = new Map<keyof M, Set<Listener<any>>>();
  private readonly onListenerError: ListenerErrorHandler | undefined;

  constructor(options: TypedEmitterOptions = {}) {
    this.onListenerError = options.onListenerError;
  }

  on<K extends keyof M>(event: K, fn: Listener<M[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  emit<K extends keyof M>(event: K, ...args: M[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const fn of set) {
      try {
        fn(...args);
      } catch (err) {
        // a broken observer must not break the domain operation that notified it, nor the other observers
        this.reportListenerError(event, err);
      }
    }
  }

  removeAll(): void {
    this.listeners.clear();
  }

  private reportListenerError(event: keyof M, err: unknown): void {
    try {
      (this.onListenerError ?? listenerErrorHandler)(String(event), err);
    } catch {
      // a failing report must not turn into the failure the isolation was there to prevent
    }
  }
}
