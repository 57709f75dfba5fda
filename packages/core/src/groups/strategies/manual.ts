import type { Clock } from '../../ports/clock.ts';
import { roundRobin } from './round-robin.ts';
import type { SelectionContext, Selection, SpeakerSelector } from './speaker-selector.ts';

/**
 * An operator picks the next speaker. The pick itself reaches the engine (`GroupEngine.pick`),
 * which aborts this wait and grants the picked agent; if no pick comes within `manualWaitMs`, the
 * conversation goes on in round-robin order rather than stalling.
 */
export class ManualSelector implements SpeakerSelector {
  readonly strategy = 'manual' as const;

  constructor(private readonly clock: Clock) {}

  select(ctx: SelectionContext): Promise<Selection> {
    const waitMs = ctx.settings.manualWaitMs;
    return new Promise((resolve) => {
      const fallback = (reason: string) => resolve({ agentId: roundRobin(ctx), reason });
      if (ctx.signal.aborted) return fallback('selection aborted');
      const timer = this.clock.setTimeout(() => {
        ctx.signal.removeEventListener('abort', onAbort);
        fallback(`no operator pick within ${waitMs} ms (round-robin)`);
      }, waitMs);
      const onAbort = () => {
        this.clock.clearTimeout(timer);
        fallback('selection aborted');
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
