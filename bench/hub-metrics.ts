import type { HubProcess } from '../apps/hub/test/support/hub-process.ts';

/**
 * Samples of a hub's /metrics, read once: `value(name)` is NaN when the hub has none. A labelled
 * sample is named as /metrics writes it, e.g. `x_seconds_bucket{le="0.025"}`.
 */
export async function hubMetrics(hub: HubProcess): Promise<(name: string) => number> {
  const text = await (await hub.api('/metrics')).text();
  const escape = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return (name) => Number(new RegExp(`^${escape(name)} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

/** Publishes the hub refused with RATE_LIMITED for overload: the SDK re-sends them after the retry-after, so they show as latency. */
export const OVERLOAD_REFUSALS = 'agenthub_event_publishes_refused_overload_total';

export const fmtCount = (n: number): string => (Number.isNaN(n) ? '?' : n.toLocaleString('en-US'));
