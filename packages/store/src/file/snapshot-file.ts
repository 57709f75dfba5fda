import { writeFileAtomic } from './atomic-file.ts';

const noop = () => {};

/**
 * A small JSON file rewritten whole after each change, with group commit: saves that arrive
 * while a write is running share the one write that starts after it, so a burst of offset acks
 * costs two writes, not one per ack, and every save still resolves only once its change is on disk.
 */
export class SnapshotFile {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    private readonly path: string,
    private readonly render: () => string,
  ) {}

  save(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    const queued = this.running.then(noop, noop).then(() => {
      this.queued = undefined;
      return this.start();
    });
    this.queued = queued;
    return queued;
  }

  async drain(): Promise<void> {
    while (this.queued ?? this.running) await (this.queued ?? this.running)!.then(noop, noop);
  }

  private start(): Promise<void> {
    const run = writeFileAtomic(this.path, this.render());
    this.running = run;
    void run.then(noop, noop).then(() => {
      if (this.running === run) this.running = undefined;
    });
    return run;
  }
}
