type Listener<A extends unknown[]> = (...args: A) => void;

/** A minimal typed event emitter; listeners that throw are isolated from each other. */
export class TypedEmitter<M extends { [K in keyof M]: unknown[] }> {
  private listeners = new Map<keyof M, Set<Listener<any>>>();

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
      } catch {
        // a broken observer must not break the domain operation that notified it
      }
    }
  }

  removeAll(): void {
    this.listeners.clear();
  }
}
