import * as vitest from 'vitest';
import { createTestDatabaseOrSkip } from '@agent-hub/store';
import type { AgentClient } from '@agent-hub/sdk';
import { HubCheckpointSaver } from '../src/index.ts';
import { deleteEveryThread, startTestHub, type TestHub } from './hub-for-tests.ts';

// LangGraph's conformance suite is written for Jest-style globals.
const { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } = vitest;
Object.assign(globalThis, { describe, it, test: it, expect, beforeAll, afterAll, beforeEach, afterEach });
const { validate } = await import('@langchain/langgraph-checkpoint-validation');

const pg = await createTestDatabaseOrSkip('the LangGraph saver on PostgreSQL');
afterAll(async () => pg?.drop());

const stores: Array<[string, Record<string, string>]> = [
  ['memory', { STORE: 'memory' }],
  ...(pg ? [['postgres', { STORE: 'postgres', DATABASE_URL: pg.url }] as [string, Record<string, string>]] : []),
];

for (const [name, env] of stores) {
  let hub: TestHub | undefined;
  let agent: AgentClient | undefined;
  validate<HubCheckpointSaver>({
    checkpointerName: `HubCheckpointSaver (${name} store)`,
    beforeAllTimeout: 60_000,
    async beforeAll() {
      hub = await startTestHub(env);
      agent = await hub.agent(`langgraph-validation-${name}`);
    },
    async afterAll() {
      await hub?.close();
    },
    async createCheckpointer() {
      const saver = HubCheckpointSaver.forAgent(agent!);
      await deleteEveryThread(saver);
      return saver;
    },
    async destroyCheckpointer(saver) {
      await deleteEveryThread(saver);
    },
  });
}
