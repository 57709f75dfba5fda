import { topicMatches, type HubEvent } from '@agent-hub/protocol';

export type EventHandler = (event: HubEvent) => unknown | Promise<unknown>;

/** Local pattern → handler table; one event may match several patterns, each handler runs once. */
export class Subscriptions {
  private byPattern = new Map<string, Set<EventHandler>>();

  add(patterns: string[], handler: EventHandler): void {
    for (const p of patterns) {
      let set = this.byPattern.get(p);
      if (!set) this.byPattern.set(p, (set = new Set()));
      set.add(handler);
    }
  }

  remove(patterns: string[], handler?: EventHandler): string[] {
    const gone: string[] = [];
    for (const p of patterns) {
      const set = this.byPattern.get(p);
      if (!set) continue;
      if (handler) set.delete(handler);
      if (!handler || set.size === 0) {
        this.byPattern.delete(p);
        gone.push(p);
      }
    }
    return gone;
  }

  handlersFor(topic: string): EventHandler[] {
    const out = new Set<EventHandler>();
    for (const [pattern, set] of this.byPattern) {
      if (topicMatches(pattern, topic)) for (const h of set) out.add(h);
    }
    return [...out];
  }

  patterns(): string[] {
    return [...this.byPattern.keys()];
  }
}
