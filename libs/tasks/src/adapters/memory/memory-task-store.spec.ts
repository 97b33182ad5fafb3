import { describeTaskStoreContract } from '../store-contract.spec-helper';
import { MemoryTaskStore } from './memory-task-store';

describeTaskStoreContract('MemoryTaskStore', async () => ({
  store: new MemoryTaskStore(),
  close: async () => undefined,
}));
