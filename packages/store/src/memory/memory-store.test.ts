import { describeStoreContract } from '../contract/store-contract.ts';
import { MemoryStore } from './memory-store.ts';

describeStoreContract('memory', async () => {
  const store = new MemoryStore();
  return { store, cleanup: () => store.close() };
});
