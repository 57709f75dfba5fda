import type { HubProcess } from './hub-process.ts';

/** A JSON request to the hub's /api as the operator; fails loudly with the hub's answer. */
export async function operatorRequest<T>(hub: HubProcess, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${hub.url}/api${path}`, {
    method,
    headers: { Authorization: `Bearer ${hub.operatorToken}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} /api${path} ${JSON.stringify(body ?? null)} → ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** `POST /api/agents/tokens`: the credential an SDK agent connects with. */
export async function issueAgentToken(hub: HubProcess, agentId: string): Promise<string> {
  const body = await operatorRequest<{ agentId: string; token: string }>(hub, 'POST', '/agents/tokens', { agentId });
  return body.token;
}
