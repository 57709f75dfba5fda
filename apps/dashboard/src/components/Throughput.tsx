import { useEffect, useState } from 'react';
import { THROUGHPUT_WINDOW_S, eventsPerSecond, type ArrivalBucket } from '../throughput.ts';

// Re-render on a local clock so the rate decays to zero when the stream goes quiet.
const TICK_MS = 1000;

export function Throughput({ arrivals }: { arrivals: ArrivalBucket[] }) {
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => clearInterval(timer);
  }, []);

  const rate = eventsPerSecond(arrivals, now);
  return (
    <span className="throughput" data-testid="throughput" title={`Mean over the last ${THROUGHPUT_WINDOW_S} s`}>
      <strong>{rate < 10 ? rate.toFixed(1) : Math.round(rate)}</strong> events/s
    </span>
  );
}
