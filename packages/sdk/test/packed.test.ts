import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubProcess, repoRoot } from '../../../apps/hub/test/support/hub-process.ts';

const run = promisify(execFile);

/** A consumer of the packed tarballs: plain `node`, no tsx, no workspace — what an agent's owner gets. */
const AGENT = `
import { connectAgent } from '@agent-hub/sdk';
import { FileJournal } from '@agent-hub/sdk/node';

const journal = new FileJournal('publish-journal.jsonl');
const client = await connectAgent({
  url: process.env.HUB_URL,
  agentId: process.env.AGENT_ID,
  token: process.env.AGENT_TOKEN,
  capabilities: ['packed'],
  journal,
});
const received = new Promise((resolve) => client.subscribe(['packed:#'], (e) => resolve(e)));
const published = await client.publish('packed:hello', { from: 'tarball' });
const event = await received;
console.log(JSON.stringify({ info: client.info, published, event }));
await client.close();
journal.close();
`;

/** Types as an owner writing TypeScript sees them: from the packed `.d.ts` files only. */
const TYPED = `
import { connectAgent, HubError, type AgentClient } from '@agent-hub/sdk';
import { FileJournal } from '@agent-hub/sdk/node';
import { PublishEvent, type HubEvent, type PublishResult } from '@agent-hub/protocol';

export async function typed(): Promise<AgentClient> {
  const client = await connectAgent({ url: 'http://127.0.0.1:1', agentId: 'a', token: 't', journal: new FileJournal('j') });
  await client.subscribe(['a:#'], (e: HubEvent) => void e.offset);
  const r: PublishResult = await client.publish('a:b', PublishEvent.parse({ topic: 'a:b', payload: 1 }).payload);
  if (r.offset < 0) throw new HubError('INTERNAL', 'impossible');
  // Real types, not any: a wrong use is an error (and an unused expectation would be one too).
  // @ts-expect-error offsets are numbers
  const wrong: string = r.offset;
  // @ts-expect-error an unknown error code
  void new HubError('NO_SUCH_CODE', wrong);
  return client;
}
`;

describe('the packed SDK', () => {
  let work: string;
  let consumer: string;
  let tarballs: string[];
  let hub: HubProcess;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'agent-hub-packed-'));
    const packs = path.join(work, 'tarballs');
    consumer = path.join(work, 'consumer');
    await mkdir(consumer);
    await run('pnpm', ['--filter', '@agent-hub/sdk', 'build'], { cwd: repoRoot });
    for (const pkg of ['@agent-hub/protocol', '@agent-hub/sdk']) {
      await run('pnpm', ['--filter', pkg, 'pack', '--pack-destination', packs], { cwd: repoRoot });
    }
    tarballs = (await readdir(packs)).map((f) => path.join(packs, f));
    await writeFile(path.join(consumer, 'package.json'), JSON.stringify({ name: 'packed-consumer', private: true, type: 'module' }));
    // Outside the workspace: npm, and the public registry for socket.io-client and zod.
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], { cwd: consumer });
    hub = await HubProcess.start({ env: { STORE: 'memory' } });
  }, 240_000);

  afterAll(async () => {
    await hub?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('ships built JavaScript and declarations, no TypeScript source', async () => {
    expect(tarballs.map((t) => path.basename(t)).sort()).toEqual([
      expect.stringMatching(/^agent-hub-protocol-.+\.tgz$/),
      expect.stringMatching(/^agent-hub-sdk-.+\.tgz$/),
    ]);
    for (const tarball of tarballs) {
      const { stdout } = await run('tar', ['tzf', tarball]);
      const files = stdout.trim().split('\n');
      expect(files).toContain('package/dist/index.js');
      expect(files).toContain('package/dist/index.d.ts');
      expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    }
  });

  it('registers an agent run by plain node and round-trips a publish through a real hub', async () => {
    await writeFile(path.join(consumer, 'agent.mjs'), AGENT);
    const { stdout } = await run(process.execPath, ['agent.mjs'], {
      cwd: consumer,
      env: { ...process.env, HUB_URL: hub.url, AGENT_ID: 'packed-agent', AGENT_TOKEN: hub.tokens.issue('packed-agent') },
      timeout: 30_000,
    });
    const out = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(out.info).toMatchObject({ id: 'packed-agent', capabilities: ['packed'], connected: true });
    expect(out.published).toMatchObject({ durable: true, duplicate: false });
    expect(out.event).toMatchObject({
      id: out.published.id,
      offset: out.published.offset,
      topic: 'packed:hello',
      publisher: 'packed-agent',
      payload: { from: 'tarball' },
    });

    // And the hub saw both: the agent on its roster, the event in its log.
    const agent = await (await hub.api('/api/agents/packed-agent')).json();
    expect(agent).toMatchObject({ id: 'packed-agent', capabilities: ['packed'] });
    const log = (await (await hub.api('/api/events?patterns=packed:%23')).json()) as { items: unknown[] };
    expect(log.items).toEqual([expect.objectContaining({ id: out.published.id, publisher: 'packed-agent' })]);
  });

  it('type-checks a TypeScript consumer against the packed declarations', async () => {
    await writeFile(path.join(consumer, 'typed.ts'), TYPED);
    const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
    const flags = ['--noEmit', '--strict', '--module', 'nodenext', '--target', 'es2022', '--skipLibCheck'];
    // @types/node from the workspace: the consumer has none installed, and the SDK's node entry needs them.
    const types = ['--types', 'node', '--typeRoots', path.join(repoRoot, 'node_modules/@types')];
    await expect(run(process.execPath, [tsc, ...flags, ...types, 'typed.ts'], { cwd: consumer })).resolves.toBeDefined();
  }, 60_000);

  it('bundles its main entry for a browser, with no Node module in it', async () => {
    const bundle = (entry: string) =>
      build({
        stdin: { contents: `export * from '${entry}';`, resolveDir: consumer },
        bundle: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        logLevel: 'silent',
        metafile: true,
      });
    const result = await bundle('@agent-hub/sdk');
    expect(Object.keys(result.metafile.inputs).filter((f) => f.startsWith('node:'))).toEqual([]);
    // The check bites: the Node entry (the on-disk journal) does not bundle for a browser.
    await expect(bundle('@agent-hub/sdk/node')).rejects.toThrow(/node:fs/);
  });
});
