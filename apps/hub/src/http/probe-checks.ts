import type { HubContext } from '../context.ts';

/** Every probe answers within 1 s (orchestrators time out at 1 s by default), so each check gets less. */
export const CHECK_TIMEOUT_MS = 500;

export interface CheckResult {
  ok: boolean;
  latencyMs?: number;
  error?: string;
}

/** Runs `fn`, reporting a failure instead of waiting once `ms` has passed; the work itself is left to finish. */
export async function bounded<T>(
  fn: () => Promise<T>,
  ms = CHECK_TIMEOUT_MS,
): Promise<{ ok: true; value: T; latencyMs: number } | { ok: false; error: string }> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    const value = await Promise.race([fn(), timeout]);
    return { ok: true, value, latencyMs: Math.round((performance.now() - start) * 100) / 100 };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkStore(ctx: HubContext): Promise<CheckResult> {
  const r = await bounded(() => ctx.store.ping());
  return r.ok ? { ok: true, latencyMs: r.latencyMs } : { ok: false, error: r.error };
}

/** The shared dependencies, checked in parallel and each bounded: reported, never used to fail a probe. */
export async function sharedChecks(ctx: HubContext) {
  const cluster = ctx.cluster;
  const [store, nodes] = await Promise.all([checkStore(ctx), cluster ? bounded(() => cluster.nodes()) : Promise.resolve(null)]);
  return {
    store: { kind: ctx.store.kind, ...store },
    adapter: { kind: ctx.adapter.kind, ok: ctx.adapter.ok(), status: ctx.adapter.status() },
    ...(cluster && nodes ? { cluster: { ok: cluster.ok() && nodes.ok, nodes: nodes.ok ? nodes.value : [] } } : {}),
  };
}

/** Why this node's service is partial (each shared with the other nodes, so none of them fails readiness). */
export function warnings(ctx: HubContext, store: CheckResult): string[] {
  const out: string[] = [];
  if (ctx.state.degradedReason) out.push(`degraded: ${ctx.state.degradedReason}`);
  if (ctx.state.storeDegraded) out.push('store unavailable: writes are queued');
  else if (!store.ok) out.push(`store not answering: ${store.error}`);
  if (!ctx.adapter.ok()) out.push('redis unavailable: cross-node rooms and broadcasts are paused; local agents are served');
  return out;
}
