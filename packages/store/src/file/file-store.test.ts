import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeStoreContract } from '../contract/store-contract.ts';
import { event, message, newSession, T0 } from '../contract/fixtures.ts';
import { openStore } from '../open-store.ts';
import { openFileStore } from './file-store.ts';

const run = promisify(execFile);

let tmp: string;
let made = 0;
const freshDir = () => join(tmp, `store-${++made}`);

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'agenthub-file-'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describeStoreContract('file', async () => {
  const dataDir = freshDir();
  const store = await openFileStore({ dataDir });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});

describe('file store on disk', () => {
  it('reads everything back after close and reopen', async () => {
    const dataDir = freshDir();
    const first = await openFileStore({ dataDir });
    const s = await newSession(first, { members: ['alpha'], metadata: { topic: 'x' }, messages: [message('one')] });
    await first.sessions.appendMessages(s.id, 1, [message('two')], T0 + 1);
    await first.sessions.updateSession(s.id, 2, { agentState: { agentId: 'alpha', state: { step: 3 } } }, T0 + 2);
    const gone = await newSession(first);
    await first.sessions.deleteSession(gone.id);
    await first.events.appendEvents([event(1, 'a:b'), event(2, 'c', { at: T0 + 7_200_000 })]);
    await first.events.deleteEventsBefore(T0 + 1500);
    await first.events.setAgentOffset('alpha', 2);
    await first.events.addDeadLetter({
      id: 'dl-1',
      eventId: 'ev-2',
      offset: 2,
      topic: 'c',
      agentId: 'alpha',
      attempts: 3,
      error: 'boom',
      at: new Date(T0).toISOString(),
      status: 'open',
      resolvedBy: null,
      resolvedAt: null,
    });
    await first.events.addDeadLetter({
      id: 'dl-2',
      eventId: 'ev-1',
      offset: 1,
      topic: 'a:b',
      agentId: 'alpha',
      attempts: 3,
      error: 'boom',
      at: new Date(T0 - 1).toISOString(),
      status: 'open',
      resolvedBy: null,
      resolvedAt: null,
    });
    await first.events.setDeadLetterStatus('dl-2', 'open', { status: 'retried', by: 'ops', at: new Date(T0 + 5).toISOString() });
    await first.events.setDeadLetterStatus('dl-2', 'retried', { status: 'open', by: null, at: null });
    await first.events.setDeadLetterStatus('dl-2', 'open', { status: 'discarded', by: 'ops', at: new Date(T0 + 9).toISOString() });
    await first.agents.upsertAgent({
      id: 'alpha',
      name: 'A',
      capabilities: ['x'],
      priority: 1,
      recovery: 'restart',
      meta: {},
      registeredAt: T0,
    });
    await first.kv.putValue('group:1', { turn: 'alpha' }, 0);
    await first.kv.putValue('Group:1', 'other case', 0);
    const session = await first.sessions.getSession(s.id);
    await first.close();

    const second = await openFileStore({ dataDir });
    try {
      expect(await second.sessions.getSession(s.id)).toEqual(session);
      expect(await second.sessions.getSession(gone.id)).toBeNull();
      expect((await second.sessions.getMessages(s.id, 0, 10)).map((m) => m.content)).toEqual(['one', 'two']);
      expect(await second.events.readEvents({ limit: 10 })).toEqual([event(2, 'c', { at: T0 + 7_200_000 })]);
      expect(await second.events.hasEvent('ev-1')).toBe(false);
      expect(await second.events.getAgentOffset('alpha')).toBe(2);
      expect((await second.events.listDeadLetters(10)).map((d) => [d.id, d.status])).toEqual([
        ['dl-1', 'open'],
        ['dl-2', 'discarded'],
      ]);
      expect(await second.events.getDeadLetter('dl-2')).toMatchObject({ resolvedBy: 'ops', resolvedAt: new Date(T0 + 9).toISOString() });
      expect((await second.agents.getAgent('alpha'))?.name).toBe('A');
      expect(await second.kv.getValue('group:1')).toEqual({ value: { turn: 'alpha' }, version: 1 });
      expect(await second.kv.getValue('Group:1')).toEqual({ value: 'other case', version: 1 });
      expect(await second.sessions.countByState()).toEqual({ active: 1, idle: 0, expired: 0 });
    } finally {
      await second.close();
    }
  });

  it('reads checkpoints and their writes back after close and reopen, and forgets a deleted thread', async () => {
    const dataDir = freshDir();
    const first = await openFileStore({ dataDir });
    const blob = { type: 'json', data: Buffer.from('{}').toString('base64') };
    const cp = { threadId: 'Run/1', namespace: '', id: '0001', parentId: null, checkpoint: blob, metadata: { step: 0 } };
    await first.checkpoints.putCheckpoint(cp);
    await first.checkpoints.putCheckpointWrites('Run/1', '', '0001', [{ taskId: 't', idx: 0, channel: 'c', value: blob, taskPath: '' }]);
    await first.checkpoints.putCheckpoint({ ...cp, threadId: 'gone' });
    await first.checkpoints.deleteCheckpointThread('gone');
    const stored = await first.checkpoints.getCheckpoint('Run/1', '');
    await first.close();

    const second = await openFileStore({ dataDir });
    try {
      expect(await second.checkpoints.getCheckpoint('Run/1', '')).toEqual(stored);
      expect(await second.checkpoints.listCheckpoints({ limit: 10 })).toEqual([stored]);
    } finally {
      await second.close();
    }
  });

  it('keeps every file 600 and every folder 700', async () => {
    const dataDir = freshDir();
    const store = await openFileStore({ dataDir });
    try {
      const s = await newSession(store, { messages: [message('hello')] });
      await store.sessions.appendMessages(s.id, 1, [message('again')], T0 + 1);
      await store.events.appendEvents([event(1, 'a')]);
      await store.events.setAgentOffset('alpha', 1);
      await store.events.addDeadLetter({
        id: 'dl',
        eventId: 'ev-1',
        offset: 1,
        topic: 'a',
        agentId: 'alpha',
        attempts: 1,
        error: 'e',
        at: new Date(T0).toISOString(),
        status: 'open',
        resolvedBy: null,
        resolvedAt: null,
      });
      await store.events.setDeadLetterStatus('dl', 'open', { status: 'discarded', by: 'ops', at: new Date(T0).toISOString() });
      await store.agents.upsertAgent({
        id: 'alpha',
        name: 'A',
        capabilities: [],
        priority: 0,
        recovery: 'alert',
        meta: {},
        registeredAt: T0,
      });
      await store.kv.putValue('k', 1, 0);
      const entries = await walk(dataDir);
      expect(entries.filter((e) => e.kind === 'file').length).toBeGreaterThanOrEqual(7);
      for (const e of entries) expect([e.path, e.mode]).toEqual([e.path, e.kind === 'dir' ? 0o700 : 0o600]);
    } finally {
      await store.close();
    }
  });

  it('gzips a session file above 100 KB and reads it back transparently', async () => {
    const dataDir = freshDir();
    const store = await openFileStore({ dataDir });
    const s = await newSession(store, { messages: [message('small')] });
    expect(await readdir(join(dataDir, 'sessions'))).toEqual([`${s.id}.json`]);
    const big = Array.from({ length: 300 }, (_, i) => message(`${i} ${'lorem ipsum dolor sit amet '.repeat(20)}`));
    await store.sessions.appendMessages(s.id, 1, big, T0 + 1);
    expect(await readdir(join(dataDir, 'sessions'))).toEqual([`${s.id}.json.gz`]);
    const file = await readFile(join(dataDir, 'sessions', `${s.id}.json.gz`));
    expect([file[0], file[1]]).toEqual([0x1f, 0x8b]);
    expect(file.length).toBeLessThan(100 * 1024);
    await store.close();

    const reopened = await openFileStore({ dataDir });
    try {
      const history = await reopened.sessions.getMessages(s.id, 0, 1000);
      expect(history).toHaveLength(301);
      expect(history[300]!.content).toBe(big[299]!.content);
    } finally {
      await reopened.close();
    }
  });

  it('lets exactly one of many concurrent writers at the same version win', async () => {
    const store = await openFileStore({ dataDir: freshDir() });
    try {
      const s = await newSession(store);
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, w) => store.sessions.appendMessages(s.id, 1, [message(`w${w}`)], T0 + 1)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(await store.sessions.getSession(s.id)).toMatchObject({ version: 2, messageCount: 1 });
    } finally {
      await store.close();
    }
  });

  it('refuses a second store on the same folder until the first one closes', async () => {
    const dataDir = freshDir();
    const first = await openFileStore({ dataDir });
    expect((await readFile(join(dataDir, '.lock'), 'utf8')).trim()).toBe(String(process.pid));
    await expect(openFileStore({ dataDir })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringContaining(`in use by process ${process.pid}`),
    });
    await first.close();
    const second = await openFileStore({ dataDir });
    await second.close();
  });

  it('makes a second hub process on the same folder fail clearly', { timeout: 30_000 }, async () => {
    const dataDir = freshDir();
    const store = await openFileStore({ dataDir });
    try {
      const script = join(tmp, 'second-process.mts');
      const storeModule = fileURLToPath(new URL('./file-store.ts', import.meta.url));
      await writeFile(
        script,
        `import { openFileStore } from ${JSON.stringify(storeModule)};\n` +
          `await openFileStore({ dataDir: ${JSON.stringify(dataDir)} }).then(\n` +
          `  () => { console.log('opened'); process.exit(0); },\n` +
          `  (err) => { console.log(err.code + ': ' + err.message); process.exit(3); },\n` +
          `);\n`,
      );
      const result = await run(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd() }).then(
        () => ({ code: 0, stdout: 'opened' }),
        (err: { code: number; stdout: string }) => err,
      );
      expect(result.code).toBe(3);
      expect(result.stdout).toContain(`STORE_UNAVAILABLE: the file store in ${dataDir} is in use by process ${process.pid}`);
    } finally {
      await store.close();
    }
  });

  it('takes over a lock left by a process that is gone', async () => {
    const dataDir = freshDir();
    const { stdout } = await run(process.execPath, ['-e', 'console.log(process.pid)']);
    await (await openFileStore({ dataDir })).close();
    await writeFile(join(dataDir, '.lock'), `${stdout.trim()}\n`, { mode: 0o600 });
    const store = await openFileStore({ dataDir });
    expect((await readFile(join(dataDir, '.lock'), 'utf8')).trim()).toBe(String(process.pid));
    await store.close();
  });

  it('drops a torn last event line left by a crash, and appends cleanly after it', async () => {
    const dataDir = freshDir();
    const first = await openFileStore({ dataDir });
    await first.events.appendEvents([event(1, 'a')]);
    await first.close();
    const [segment] = await readdir(join(dataDir, 'events'));
    await writeFile(join(dataDir, 'events', segment!), '{"id":"ev-2","off', { flag: 'a' });
    const second = await openFileStore({ dataDir });
    try {
      expect((await second.events.readEvents({ limit: 10 })).map((e) => e.id)).toEqual(['ev-1']);
      await second.events.appendEvents([event(2, 'b')]);
      expect((await second.events.readEvents({ limit: 10 })).map((e) => e.id)).toEqual(['ev-1', 'ev-2']);
    } finally {
      await second.close();
    }
    const third = await openFileStore({ dataDir });
    expect(await third.events.maxOffset()).toBe(2);
    await third.close();
  });

  it('opens through openStore in <dataDir>/file-store, and refuses without a data folder', async () => {
    const dataDir = freshDir();
    const store = await openStore({ kind: 'file', dataDir });
    expect(store.kind).toBe('file');
    await store.ping();
    expect(await readdir(join(dataDir, 'file-store'))).toContain('.lock');
    await store.close();
    await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(openStore({ kind: 'file' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

async function walk(dir: string): Promise<{ path: string; kind: 'file' | 'dir'; mode: number }[]> {
  const out: { path: string; kind: 'file' | 'dir'; mode: number }[] = [{ path: dir, kind: 'dir', mode: (await stat(dir)).mode & 0o777 }];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else out.push({ path, kind: 'file', mode: (await stat(path)).mode & 0o777 });
  }
  return out;
}
