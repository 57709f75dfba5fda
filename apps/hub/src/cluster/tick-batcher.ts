interface Waiter {
  resolve(offset: number): void;
  reject(err: unknown): void;
}

export interface TickBatcherSteps {
  /** Asks for n offsets at once: the first of them, or null to number them some other way. Never rejects. */
  fetch(n: number): Promise<number | null>;
  /** Turns a batch into offsets, strictly in request order: returns the first (throw to refuse the batch). */
  assign(n: number, fetched: number | null): number;
}

/**
 * Serves offset requests in batches: every request made in one turn of the event loop goes out as
 * one fetch, and batches resolve in the order they were asked for even when their fetches answer
 * out of order (the event bus delivers in that order). While paused, batches wait; they go out
 * when it resumes.
 */
export class TickBatcher {
  private tick: Waiter[] = [];
  private scheduled = false;
  private held: Waiter[][] | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly steps: TickBatcherSteps) {}

  request(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.tick.push({ resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flushTick());
    });
  }

  /** Holds the batches asked for from now on; resolves once every earlier batch is assigned. */
  async pause(): Promise<void> {
    this.held ??= [];
    await this.chain;
  }

  /** Sends the held batches, in order. */
  resume(): void {
    const held = this.held ?? [];
    this.held = null;
    held.forEach((b) => this.dispatch(b));
  }

  /** Refuses what has not gone out yet and waits for what has. */
  async close(err: Error): Promise<void> {
    for (const w of [...this.tick, ...(this.held ?? []).flat()]) w.reject(err);
    this.tick = [];
    this.held = this.held ? [] : null;
    await this.chain;
  }

  private flushTick(): void {
    this.scheduled = false;
    const batch = this.tick;
    this.tick = [];
    if (batch.length === 0) return;
    if (this.held) this.held.push(batch);
    else this.dispatch(batch);
  }

  private dispatch(batch: Waiter[]): void {
    const fetched = this.steps.fetch(batch.length);
    const prev = this.chain;
    this.chain = fetched.then(async (f) => {
      await prev;
      let first: number;
      try {
        first = this.steps.assign(batch.length, f);
      } catch (err) {
        for (const w of batch) w.reject(err);
        return;
      }
      batch.forEach((w, i) => w.resolve(first + i));
    });
  }
}
