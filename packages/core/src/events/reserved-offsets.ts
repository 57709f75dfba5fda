import { HubError } from '@agent-hub/protocol';
import type { Logger } from '../ports/logger.ts';
import type { KeyValueStore } from '../ports/store.ts';
import type { OffsetAllocator } from './offset-allocator.ts';

/** Where the reservation lives in the key-value store. */
export const OFFSET_RESERVATION_KEY = 'events:offset-reservation';

interface Reservation {
  /** Every offset up to here may have been handed out by an earlier run of this node. */
  upTo: number;
}

/**
 * One node's offsets, handed out from blocks reserved durably ahead of use. An offset is delivered
 * to subscribers before its batch commits; after a crash a plain counter would continue from the
 * highest *committed* offset and give numbers subscribers already saw to new events (a subscriber
 * resuming after the highest offset it saw would then skip them). With a durable reservation the
 * next run starts above everything that could have been handed out: a crash leaves a gap, never a
 * reuse. The next block is reserved when half of the current one is used, so `next()` stays
 * synchronous unless the store is slower than half a block of events.
 */
export class ReservedOffsets implements OffsetAllocator {
  private value = 0;
  private upTo = 0;
  private version = 0;
  private skipped = 0;
  private reserving: Promise<void> | null = null;

  constructor(
    private readonly kv: KeyValueStore,
    private readonly logger: Logger,
    private readonly block = 10_000,
  ) {}

  async start(logMax: number): Promise<void> {
    const saved = await this.kv.getValue<Reservation>(OFFSET_RESERVATION_KEY);
    this.version = saved?.version ?? 0;
    const reserved = saved?.value.upTo ?? 0;
    // Offsets between the log's end and the old reservation may have been delivered live and lost
    // in a crash: they are never used again.
    this.value = Math.max(logMax, reserved);
    this.skipped = Math.max(0, reserved - logMax);
    this.upTo = this.value;
    await this.reserve();
    if (this.skipped) this.logger.info({ from: logMax + 1, to: reserved }, 'event offsets: skipping numbers reserved by the previous run');
  }

  next(): number | Promise<number> {
    if (this.value + 1 <= this.upTo) {
      if (this.upTo - this.value <= this.block / 2) void this.reserve().catch(() => undefined);
      return ++this.value;
    }
    return this.reserve().then(
      () => this.next(),
      (err: unknown) => {
        throw HubError.is(err, 'STORE_UNAVAILABLE')
          ? err
          : new HubError('STORE_UNAVAILABLE', 'event offsets cannot be reserved', { cause: String(err) });
      },
    );
  }

  current(): number {
    return this.value;
  }

  gaps(): number {
    return this.skipped;
  }

  /** Extends the reservation by one block beyond the highest offset handed out (one writer at a time). */
  private reserve(): Promise<void> {
    this.reserving ??= (async () => {
      try {
        for (let attempt = 1; ; attempt++) {
          const upTo = Math.max(this.upTo, this.value) + this.block;
          try {
            this.version = await this.kv.putValue(OFFSET_RESERVATION_KEY, { upTo } satisfies Reservation, this.version);
            this.upTo = upTo;
            return;
          } catch (err) {
            if (!HubError.is(err, 'VERSION_CONFLICT') || attempt >= 3) throw err;
            // Another hub writes the same log without a shared allocator (a misconfiguration, but
            // never a reuse): continue above whatever it reserved, in a block of our own.
            const cur = await this.kv.getValue<Reservation>(OFFSET_RESERVATION_KEY);
            this.version = cur?.version ?? 0;
            this.value = Math.max(this.value, cur?.value.upTo ?? 0);
            this.upTo = this.value;
            this.logger.warn({ upTo: this.value }, 'event offsets: reservation moved by another process');
          }
        }
      } finally {
        this.reserving = null;
      }
    })();
    return this.reserving;
  }
}
