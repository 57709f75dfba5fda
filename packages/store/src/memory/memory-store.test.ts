import { MemoryStore } from '@agent-hub/core';
import { describeStoreContract } from '../contract/store-contract.ts';

describeStoreContract('memory', async () => {
  const store = new MemoryStore();
  return { store, cleanup: () => store.close() };
});
