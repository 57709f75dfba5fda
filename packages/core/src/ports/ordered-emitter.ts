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
    if (this.backlog) {
      this.backlog.push(() => super.emit(event, ...args));
      return;
    }
    const backlog: Array<() => void> = (this.backlog = []);
    try {
      super.emit(event, ...args);
      for (let next = backlog.shift(); next; next = backlog.shift()) next();
    } finally {
      this.backlog = null;
    }
  }
}
