import { describe, expect, it } from 'vitest';
import type { Logger } from '@agent-hub/core';
import { LatencyMonitor, p95 } from './latency-monitor.ts';

function recordingLogger() {
  const fatal: string[] = [];
  const noop = () => undefined;
  const log: Logger = {
    debug: noop,
    info: noop,
    warn: noop,
    error: noop,
    fatal: (_o, msg) => void fatal.push(msg ?? ''),
    child: () => log,
  };
  return { log, fatal };
}

describe('propagation latency alert', () => {
  it('logs CRITICAL once p95 has stayed above 10 ms for 5 minutes', () => {
    const { log, fatal } = recordingLogger();
    const m = new LatencyMonitor(log, 10, 5);
    for (let minute = 0; minute < 5; minute++) {
      for (let i = 0; i < 100; i++) m.observe(i < 90 ? 2 : 30);
      m.tick();
    }
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatch(/^CRITICAL: event propagation p95 above 10 ms for 5 minutes/);
    expect(m.isAlerting).toBe(true);
  });

  it('stays quiet when one minute of the five was fast', () => {
    const { log, fatal } = recordingLogger();
    const m = new LatencyMonitor(log, 10, 5);
    for (let minute = 0; minute < 5; minute++) {
      for (let i = 0; i < 100; i++) m.observe(minute === 2 ? 1 : 50);
      m.tick();
    }
    expect(fatal).toEqual([]);
  });

  it('computes the 95th percentile', () => {
    expect(p95(Array.from({ length: 100 }, (_, i) => i + 1))).toBe(96);
  });
});
