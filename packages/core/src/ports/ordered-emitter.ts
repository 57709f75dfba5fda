import { TypedEmitter } from './typed-emitter.ts';

/**
 * A TypedEmitter whose listeners see events in the order they happened. An event raised while a
 * listener of this emitter runs (a listener reacting to `disconnected` by starting a recovery, say)
 * is delivered once every listener has had the current one, instead of overtaking it for the
 * listeners not yet called.
 */
export class OrderedEmitter<M extends { [K in keyof M]: unknown[] }> extends TypedEmitter<M> {
  private backlog: Array<() => void> | null = null;

  override emit<K extends keyof M>(event: K, ...args: M[K]): void {
    this.inOrder([() => super.emit(event, ...args)]);
  }

  /**
   * Two events that happened together (a change and the record it leaves): nothing a listener of
   * the first raises comes between them.
   */
  emitPair<K1 extends keyof M, K2 extends keyof M>(first: K1, firstArgs: M[K1], second: K2, secondArgs: M[K2]): void {
    this.inOrder([() => super.emit(first, ...firstArgs), () => super.emit(second, ...secondArgs)]);
  }

  private inOrder(events: Array<() => void>): void {
    if (this.backlog) {
      this.backlog.push(...events);
      return;
    }
    const backlog: Array<() => void> = (this.backlog = events.slice(1));
    try {
      events[0]!();
      for (let next = backlog.shift(); next; next = backlog.shift()) next();
    } finally {
      this.backlog = null;
    }
  }
}
