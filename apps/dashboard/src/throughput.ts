/** Events counted per wall-clock second; enough buckets to cover the throughput window. */
export interface ArrivalBucket {
  second: number;
  count: number;
}

export const THROUGHPUT_WINDOW_S = 10;

export function recordArrivals(buckets: ArrivalBucket[], atMs: number, count: number): ArrivalBucket[] {
  const second = Math.floor(atMs / 1000);
  const recent = buckets.filter((b) => b.second > second - THROUGHPUT_WINDOW_S);
  const last = recent[recent.length - 1];
  if (last && last.second === second) {
    return [...recent.slice(0, -1), { second, count: last.count + count }];
  }
  return [...recent, { second, count }];
}

/** Mean events per second over the last THROUGHPUT_WINDOW_S seconds, current second included. */
export function eventsPerSecond(buckets: ArrivalBucket[], nowMs: number): number {
  const now = Math.floor(nowMs / 1000);
  let total = 0;
  for (const b of buckets) if (b.second > now - THROUGHPUT_WINDOW_S) total += b.count;
  return total / THROUGHPUT_WINDOW_S;
}
