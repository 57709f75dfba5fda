import type { Store } from '@agent-hub/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeCheckpointContract } from './checkpoint-contract.ts';
import { describeEventLogContract } from './event-log-contract.ts';
import { rejection } from './fixtures.ts';
import { describeMessageIdContract } from './message-id-contract.ts';
import { describeRegistryContract } from './registry-contract.ts';
import { describeSessionContract } from './session-contract.ts';
import { describeSessionHistoryContract } from './session-history-contract.ts';
import { describeToolMessageContract } from './tool-message-contract.ts';

export interface StoreUnderTest {
  /** An open, empty store. */
  store: Store;
  cleanup(): Promise<void>;
}

/**
 * The behaviour every Store adapter must show. `make` is called before each test and must
 * return an empty store; an adapter is done when this suite passes unchanged.
 */
export function describeStoreContract(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(`${name} store contract`, () => {
    let current: StoreUnderTest | undefined;
    const store = () => {
      if (!current) throw new Error('no store: make() has not run');
      return current.store;
    };

    beforeEach(async () => {
      current = await make();
    });

    afterEach(async () => {
      await current?.cleanup();
      current = undefined;
    });

    describeSessionContract(store);
    describeSessionHistoryContract(store);
    describeMessageIdContract(store);
    describeToolMessageContract(store);
    describeEventLogContract(store);
    describeRegistryContract(store);
    describeCheckpointContract(store);

    describe('opening and closing', () => {
      it('answers ping while open', async () => {
        await expect(store().ping()).resolves.toBeUndefined();
      });

      it('reports STORE_UNAVAILABLE once closed, from ping and from every part', async () => {
        const s = store();
        await s.close();
        await s.close();
        await rejection(s.ping(), 'STORE_UNAVAILABLE');
        await rejection(s.sessions.countByState(), 'STORE_UNAVAILABLE');
        await rejection(s.events.maxOffset(), 'STORE_UNAVAILABLE');
        await rejection(s.agents.listAgents(), 'STORE_UNAVAILABLE');
        await rejection(s.kv.getValue('k'), 'STORE_UNAVAILABLE');
        await rejection(s.checkpoints.getCheckpoint('t', ''), 'STORE_UNAVAILABLE');
      });
    });
  });
}
