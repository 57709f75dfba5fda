import type { Registry } from 'prom-client';
import { TypedEmitter, type Clock, type TimerHandle } from '@agent-hub/core';
import type { HubStatus, MetricsSample } from '@agent-hub/protocol';
import { readHistogram, readCounterTotal, histogramQuantile, type HistogramReading } from './histogram-reading.ts';

/** The charts show the last 15 minutes (the operator console issue); older samples are dropped. */
export const HISTORY_WINDOW_MS = 15 * 60_000;
const PUBLISHED = 'agenthub_events_published_total';
const PROPAGATION = 'agenthub_event_propagation_latency_seconds';

/** What the sampler watches for degraded periods: the hub's status and its changes. */
export interface StatusSource {
  status(): HubStatus;
  on(event: 'change', fn: (s: HubStatus) => void): () => void;
}

export interface MetricsSamplerOptions {
  /** The node's metrics registry: counters and histograms are read from it, as deltas between samples. */
  registry: Registry;
  clock: Clock;
  intervalMs: number;
  windowMs?: number;
  connectedAgents: () => number;
  state: StatusSource;
  onError?: (err: unknown) => void;
}

interface Reading {
  at: number;
  published: number;
  latency: HistogramReading;
}

/**
 * Every `intervalMs`, one sample of this node: publish and receipt rates, propagation p50/p95 of
 * the interval, connected agents and whether the node was degraded; a ring of `windowMs`.
 */
export class MetricsSampler extends TypedEmitter<{ sample: [MetricsSample] }> {
  readonly windowMs: number;
  private readonly capacity: number;
  private readonly ring: MetricsSample[] = [];
  private last: Reading | null = null;
  private timer: TimerHandle | null = null;
  private closed = false;
  private busy = false;
  /** Degraded at any moment since the last sample: a short degraded spell between two samples still shows. */
  private sawDegraded = false;
  private sawStoreDegraded = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly o: MetricsSamplerOptions) {
    super();
    this.windowMs = o.windowMs ?? HISTORY_WINDOW_MS;
    this.capacity = Math.max(1, Math.ceil(this.windowMs / o.intervalMs));
    const now = o.state.status();
    this.sawDegraded = now.degraded;
    this.sawStoreDegraded = now.storeDegraded;
    this.unsubscribe = o.state.on('change', (s) => {
      this.sawDegraded ||= s.degraded;
      this.sawStoreDegraded ||= s.storeDegraded;
    });
  }

  get intervalMs(): number {
    return this.o.intervalMs;
  }

  /** Takes the baseline the first sample's deltas start from, then samples on the interval. */
  async start(): Promise<void> {
    this.last = await this.read();
    this.schedule();
  }

  /** The samples of the window, oldest first. */
  samples(): MetricsSample[] {
    return [...this.ring];
  }

  /** Reads the registry and records one sample (the timer calls it; tests may too). */
  async tick(): Promise<MetricsSample> {
    return this.record(await this.read());
  }

  private record(reading: Reading): MetricsSample {
    const prev = this.last ?? reading;
    this.last = reading;
    const elapsedMs = Math.max(1, reading.at - prev.at);
    const perSec = (delta: number) => round2((Math.max(0, delta) * 1000) / elapsedMs);
    const latency = reading.latency.minus(prev.latency);
    const status = this.o.state.status();
    const sample: MetricsSample = {
      at: new Date(reading.at).toISOString(),
      intervalMs: elapsedMs,
      publishedPerSec: perSec(reading.published - prev.published),
      deliveredPerSec: perSec(latency.count),
      propagationP50Ms: toMs(histogramQuantile(latency, 0.5)),
      propagationP95Ms: toMs(histogramQuantile(latency, 0.95)),
      connectedAgents: this.o.connectedAgents(),
      degraded: this.sawDegraded || status.degraded,
      storeDegraded: this.sawStoreDegraded || status.storeDegraded,
    };
    this.sawDegraded = status.degraded;
    this.sawStoreDegraded = status.storeDegraded;
    this.push(sample);
    this.emit('sample', sample);
    return sample;
  }

  close(): void {
    this.closed = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = null;
    this.unsubscribe();
    this.removeAll();
  }

  private push(sample: MetricsSample): void {
    this.ring.push(sample);
    // Bounded by count and by age: a stalled loop that stretched intervals keeps no older sample.
    const oldest = Date.parse(sample.at) - this.windowMs;
    while (this.ring.length > this.capacity || Date.parse(this.ring[0]!.at) <= oldest) this.ring.shift();
  }

  /** A fixed rate; a tick still reading when the next is due makes that one skip (never two at once). */
  private schedule(): void {
    if (this.closed) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.schedule();
      if (this.busy) return;
      this.busy = true;
      this.read().then(
        (reading) => {
          this.busy = false;
          this.record(reading);
        },
        (err: unknown) => {
          this.busy = false;
          this.o.onError?.(err);
        },
      );
    }, this.o.intervalMs);
    this.timer.unref?.();
  }

  private async read(): Promise<Reading> {
    const at = this.o.clock.now();
    const [published, latency] = await Promise.all([
      readCounterTotal(this.o.registry, PUBLISHED),
      readHistogram(this.o.registry, PROPAGATION),
    ]);
    return { at, published, latency };
  }
}

function toMs(seconds: number | null): number | null {
  return seconds === null ? null : round2(seconds * 1000);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
