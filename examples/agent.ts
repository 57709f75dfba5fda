// A minimal agent: run a hub (`pnpm start`), then in another terminal:
//   HUB_TOKEN=<operator token> pnpm example:agent            (fetches its own agent token)
//   AGENT_TOKEN=<token from POST /api/agents/tokens> AGENT_ID=scout pnpm example:agent
import { connectAgent } from '@agent-hub/sdk';

const url = process.env.HUB_URL ?? 'http://127.0.0.1:3000';
const agentId = process.env.AGENT_ID ?? 'example-agent';

async function agentToken(): Promise<string> {
  if (process.env.AGENT_TOKEN) return process.env.AGENT_TOKEN;
  const operator = process.env.HUB_TOKEN;
  if (!operator) throw new Error('set AGENT_TOKEN, or HUB_TOKEN (the operator token) to get one from the hub');
  const res = await fetch(`${url}/api/agents/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
    body: JSON.stringify({ agentId }),
  });
  if (!res.ok) throw new Error(`could not get an agent token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

const agent = await connectAgent({
  url,
  agentId,
  token: await agentToken(),
  name: 'Example agent',
  capabilities: ['echo', 'summarize'],
  recovery: 'restart',
});
console.log(`connected as ${agentId} (${agent.info?.health})`);

// Every event about agents (health changes included), and our own topic.
await agent.subscribe(['agent:#', `demo:${agentId}`], (e) => {
  agent.progress();
  console.log(`event ${e.topic} #${e.offset} (${e.priority})`, e.payload);
});
agent.on('restart', ({ reason }) => console.log(`hub asked for a restart: ${reason}`));
agent.on('disconnected', (reason) => console.log(`disconnected (${reason}); reconnecting…`));

const session = await agent.sessions.create({ metadata: { purpose: 'example' } });
await agent.sessions.append(session.id, { messages: [{ role: 'agent', content: 'Hello from the example agent.' }] });
await agent.sessions.setState(session.id, { step: 1 });
console.log(`session ${session.id} created; see it in the dashboard`);

const ticker = setInterval(async () => {
  agent.progress();
  const r = await agent.publish(`demo:${agentId}`, { at: new Date().toISOString() });
  console.log(`published #${r.offset} durable=${r.durable}`);
}, 5000);

process.on('SIGINT', async () => {
  clearInterval(ticker);
  await agent.close();
  process.exit(0);
});
