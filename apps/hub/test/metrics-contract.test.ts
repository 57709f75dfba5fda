import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deleteKeysWithPrefix } from '@agent-hub/store';
import { eventually, startTestHub, type TestHub } from './support/test-hub.ts';
import { metricNamesIn } from './support/promql-names.ts';
import { redisUrlOrSkip } from './support/redis-or-skip.ts';

const DEPLOY = new URL('../../../deploy/', import.meta.url);
/** Series Prometheus makes itself, never on a target's /metrics. */
const SYNTHETIC = new Set(['up']);
/** prom-client's default process and Node.js metrics keep their standard, unprefixed names. */
const DEFAULT_PREFIXES = ['process_', 'nodejs_'];

interface Family {
  name: string;
  type: string;
}

async function scrape(hub: TestHub): Promise<Family[]> {
  const res = await hub.api('/metrics');
  expect(res.status).toBe(200);
  const text = await res.text();
  return [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => ({ name: name!, type: type! }));
}

/** The sample names a family exposes: a histogram's `_bucket`, `_sum` and `_count` too. */
function sampleNames(families: Family[]): Set<string> {
  const names = new Set<string>();
  for (const f of families) {
    names.add(f.name);
    if (f.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(f.name + s);
    if (f.type === 'summary') for (const s of ['_sum', '_count']) names.add(f.name + s);
  }
  return names;
}

/** The value of each series of one metric: `{labels} value` keyed by the label text. */
async function samples(hub: TestHub, name: string): Promise<Map<string, number>> {
  const text = await (await hub.api('/metrics')).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))) out.set(m[1] ?? '', Number(m[2]));
  return out;
}

async function dashboardExprs(): Promise<string[]> {
  const dash = JSON.parse(await readFile(new URL('grafana-dashboard.json', DEPLOY), 'utf8')) as {
    panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    templating: { list: Array<{ query?: unknown }> };
  };
  const variables = dash.templating.list.flatMap((v) => {
    const q = typeof v.query === 'object' && v.query ? (v.query as { query?: string }).query : undefined;
    // label_values(metric, label): the metric is the first argument.
    const m = q ? /label_values\(\s*([^,)]+)/.exec(q) : null;
    return m?.[1] ? [m[1]] : [];
  });
  return [...dash.panels.flatMap((p) => p.targets.map((t) => t.expr)), ...variables];
}

async function alertRules(): Promise<
  Array<{ alert: string; expr: string; labels?: { severity?: string }; annotations?: { summary?: string } }>
> {
  const doc = parse(await readFile(new URL('prometheus-alerts.yml', DEPLOY), 'utf8')) as {
    groups: Array<{ rules: Array<{ alert: string; expr: string; labels?: { severity?: string }; annotations?: { summary?: string } }> }>;
  };
  return doc.groups.flatMap((g) => g.rules);
}

describe('metrics contract', () => {
  let t: TestHub;
  let families: Family[];

  beforeAll(async () => {
    t = await startTestHub();
    families = await scrape(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('finds metric names in PromQL', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.95, sum by (le, event) (rate(a_seconds_bucket{x="y", z=~"$i"}[$__rate_interval]))) > 0.1 or b_total offset 5m',
      ),
    ).toEqual(['a_seconds_bucket', 'b_total']);
    expect(metricNamesIn('sum(x{namespace="/agents"}) < 0.5 * sum(max_over_time(y[15m])) and on (instance) up == 0')).toEqual([
      'x',
      'y',
      'up',
    ]);
  });

  it('exports every metric the Grafana dashboard reads', async () => {
    const exported = sampleNames(families);
    const exprs = await dashboardExprs();
    expect(exprs.length).toBeGreaterThan(10);
    const used = new Set(exprs.flatMap(metricNamesIn));
    const missing = [...used].filter((n) => !exported.has(n) && !SYNTHETIC.has(n));
    expect(missing).toEqual([]);
  });

  it('exports every metric the alert rules read, and every rule has a severity and a summary', async () => {
    const exported = sampleNames(families);
    const rules = await alertRules();
    expect(rules.length).toBeGreaterThan(10);
    for (const r of rules) {
      expect(r.alert, JSON.stringify(r)).toMatch(/^AgentHub\w+$/);
      expect(['critical', 'warning']).toContain(r.labels?.severity);
      expect(r.annotations?.summary).toBeTruthy();
    }
    const used = new Set(rules.flatMap((r) => metricNamesIn(r.expr)));
    const missing = [...used].filter((n) => !exported.has(n) && !SYNTHETIC.has(n));
    expect(missing).toEqual([]);
  });

  it('names every hub metric agenthub_…, in base units, with _total on counters only', () => {
    const hub = families.filter((f) => f.name.startsWith('agenthub_'));
    expect(hub.length).toBeGreaterThan(30);
    const strays = families.filter((f) => !f.name.startsWith('agenthub_') && !DEFAULT_PREFIXES.some((p) => f.name.startsWith(p)));
    expect(strays.map((f) => f.name)).toEqual([]);
    const wrong = hub.filter(
      (f) =>
        (f.type === 'counter') !== f.name.endsWith('_total') ||
        /_(ms|milliseconds|us|microseconds|minutes|hours|kb|mb|kilobytes|megabytes)(_|$)/.test(f.name) ||
        (f.type === 'histogram' && !/_(seconds|bytes)$/.test(f.name)),
    );
    expect(wrong.map((f) => `${f.name} (${f.type})`)).toEqual([]);
  });

  it('observes latencies in seconds', async () => {
    await t.api('/health');
    const text = await (await t.api('/metrics')).text();
    const sum = Number(/^agenthub_http_request_duration_seconds_sum\{[^}]*route="\/health"[^}]*\} (\S+)$/m.exec(text)?.[1]);
    // One local request takes well under a second; in milliseconds it would rarely be.
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(1);
  });
});

const redisUrl = await redisUrlOrSkip('metrics summed over a cluster (Redis)');

(redisUrl ? describe : describe.skip)('metrics summed over the nodes of a cluster', () => {
  const prefix = `mc${randomBytes(4).toString('hex')}:`;
  const nodes: TestHub[] = [];

  beforeAll(async () => {
    for (const id of ['metrics-a', 'metrics-b']) {
      nodes.push(await startTestHub({ STORE: 'redis', REDIS_URL: redisUrl!, REDIS_PREFIX: prefix, NODE_ID: id, NODE_TTL_MS: '3000' }));
    }
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await deleteKeysWithPrefix(redisUrl!, prefix);
  });

  it('counts each stored session once: only the lease holder exports the shared store', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await nodes[i % 2]!.api('/api/sessions', { method: 'POST', body: JSON.stringify({ members: ['m1'] }) });
      expect(res.status).toBe(201);
    }
    const active = async () => Promise.all(nodes.map(async (n) => (await samples(n, 'agenthub_store_sessions')).get('{state="active"}')));
    await eventually(async () => (await active()).filter((v) => v !== undefined).length === 1, 10_000, 'one node exporting the store');
    expect((await active()).reduce((sum: number, v) => sum + (v ?? 0), 0)).toBe(3);
  });

  it('counts each agent on the node it is connected to', async () => {
    await nodes[0]!.agent('metrics-agent-a');
    await nodes[1]!.agent('metrics-agent-b');
    const healthy = async () => Promise.all(nodes.map(async (n) => (await samples(n, 'agenthub_agents')).get('{state="healthy"}') ?? 0));
    await eventually(async () => (await healthy()).every((v) => v === 1), 10_000, 'one healthy agent on each node');
    // Each node has heard of the other's agent by now, and still counts only its own.
    await eventually(
      async () =>
        (await Promise.all(nodes.map(async (n) => (await (await n.api('/api/agents')).json()) as { items: unknown[] }))).every(
          (l) => l.items.length === 2,
        ),
      10_000,
      'both nodes know both agents',
    );
    expect(await healthy()).toEqual([1, 1]);
  });
});
