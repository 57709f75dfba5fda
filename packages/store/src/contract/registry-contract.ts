import type { AgentRecord, Store } from '@agent-hub/core';
import { describe, expect, it } from 'vitest';
import { rejection, T0 } from './fixtures.ts';

export function describeRegistryContract(store: () => Store): void {
  const agent = (id: string, overrides: Partial<AgentRecord> = {}): AgentRecord => ({
    id,
    name: `Agent ${id}`,
    capabilities: ['search', 'summarise'],
    priority: 5,
    recovery: 'restart',
    meta: { version: '1.2.0', tags: ['a'] },
    registeredAt: T0,
    ...overrides,
  });

  describe('agents', () => {
    it('stores an agent and reads it back', async () => {
      await store().agents.upsertAgent(agent('alpha'));
      expect(await store().agents.getAgent('alpha')).toEqual(agent('alpha'));
      expect(await store().agents.getAgent('nobody')).toBeNull();
    });

    it('replaces an agent that registers again', async () => {
      await store().agents.upsertAgent(agent('alpha'));
      const again = agent('alpha', {
        name: 'Renamed',
        capabilities: [],
        priority: 9,
        recovery: 'alert',
        meta: {},
        registeredAt: T0 + 60_000,
      });
      await store().agents.upsertAgent(again);
      expect(await store().agents.getAgent('alpha')).toEqual(again);
      expect(await store().agents.listAgents()).toHaveLength(1);
    });

    it('stores several agents in one write, replacing those it already has', async () => {
      await store().agents.upsertAgent(agent('alpha'));
      const renamed = agent('alpha', {
        name: 'Renamed',
        capabilities: ['x'],
        priority: 1,
        recovery: 'alert',
        meta: { v: 2 },
        registeredAt: T0 + 1000,
      });
      await store().agents.upsertAgents([renamed, agent('beta'), agent('gamma', { meta: {} })]);
      expect(await store().agents.listAgents()).toEqual([renamed, agent('beta'), agent('gamma', { meta: {} })]);
      await store().agents.upsertAgents([]);
      expect(await store().agents.listAgents()).toHaveLength(3);
    });

    it('keeps capabilities and meta exactly in a batch write, whatever characters they hold', async () => {
      const odd = agent('odd', {
        capabilities: ['a,b', 'quote"d', '{braces}', 'back\\slash', 'ünïcode ✓', 'NULL', ''.padEnd(3, ' ')],
        meta: { nested: { s: 'x,"y"}', n: 1.5, list: [null, true] } },
      });
      await store().agents.upsertAgents([odd, agent('plain', { capabilities: [] })]);
      expect(await store().agents.getAgent('odd')).toEqual(odd);
      expect(await store().agents.getAgent('plain')).toEqual(agent('plain', { capabilities: [] }));
    });

    it('keeps the last record of an agent written twice in one batch', async () => {
      const later = agent('twice', { name: 'Later', registeredAt: T0 + 1000 });
      await store().agents.upsertAgents([agent('twice'), agent('other'), later]);
      expect(await store().agents.getAgent('twice')).toEqual(later);
      expect(await store().agents.listAgents()).toHaveLength(2);
    });

    it('lists every agent by id', async () => {
      for (const id of ['gamma', 'Alpha', 'beta', 'alpha_2']) await store().agents.upsertAgent(agent(id));
      expect((await store().agents.listAgents()).map((a) => a.id)).toEqual(['Alpha', 'alpha_2', 'beta', 'gamma']);
    });
  });

  describe('key-value documents', () => {
    it('creates a value only when the expected version is 0', async () => {
      expect(await store().kv.putValue('group:1', { turn: 'alpha' }, 0)).toBe(1);
      expect(await store().kv.getValue('group:1')).toEqual({ value: { turn: 'alpha' }, version: 1 });
      const err = await rejection(store().kv.putValue('group:1', { turn: 'beta' }, 0), 'VERSION_CONFLICT');
      expect(err.details).toMatchObject({ currentVersion: 1 });
    });

    it('compares and sets on the version, returning the new one', async () => {
      await store().kv.putValue('doc', { n: 1 }, 0);
      expect(await store().kv.putValue('doc', { n: 2 }, 1)).toBe(2);
      const err = await rejection(store().kv.putValue('doc', { n: 3 }, 1), 'VERSION_CONFLICT');
      expect(err.details).toMatchObject({ currentVersion: 2 });
      expect(await store().kv.getValue('doc')).toEqual({ value: { n: 2 }, version: 2 });
    });

    it('names version 0 when the value to update does not exist', async () => {
      const err = await rejection(store().kv.putValue('missing', 1, 3), 'VERSION_CONFLICT');
      expect(err.details).toMatchObject({ currentVersion: 0 });
      expect(await store().kv.getValue('missing')).toBeNull();
    });

    it('lets exactly one of two concurrent writers with the same version win', async () => {
      await store().kv.putValue('race', 'start', 0);
      const put = (key: string, value: string, expected: number) => store().kv.putValue(key, value, expected);
      const updates = await Promise.allSettled([put('race', 'one', 1), put('race', 'two', 1)]);
      expect(updates.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const creates = await Promise.allSettled([put('new', 'one', 0), put('new', 'two', 0)]);
      expect(creates.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    });

    it('keeps JSON values exactly, strings that look like numbers included', async () => {
      const values = ['123', 'plain', 42, true, null, [1, '2'], { a: { b: [null] } }];
      for (const [i, v] of values.entries()) await store().kv.putValue(`v:${i}`, v, 0);
      for (const [i, v] of values.entries()) expect((await store().kv.getValue(`v:${i}`))!.value).toEqual(v);
    });

    it('deletes a value, after which it can be created again', async () => {
      await store().kv.putValue('temp', 1, 0);
      await store().kv.deleteValue('temp');
      await store().kv.deleteValue('temp');
      expect(await store().kv.getValue('temp')).toBeNull();
      expect(await store().kv.putValue('temp', 2, 0)).toBe(1);
    });

    it('lists keys by prefix in order, taking _ and % literally', async () => {
      for (const k of ['group_1:b', 'group_1:a', 'groupX1:c', 'group%:d', 'other']) await store().kv.putValue(k, 0, 0);
      expect(await store().kv.listKeys('group_1:')).toEqual(['group_1:a', 'group_1:b']);
      expect(await store().kv.listKeys('group%')).toEqual(['group%:d']);
      expect(await store().kv.listKeys('')).toHaveLength(5);
    });
  });
}
