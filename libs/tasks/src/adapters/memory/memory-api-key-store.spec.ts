import { describeApiKeyStoreContract } from '../testing/api-key-store-contract';
import { MemoryApiKeyStore } from './memory-api-key-store';

describeApiKeyStoreContract('MemoryApiKeyStore', async () => ({
  store: new MemoryApiKeyStore(),
  close: async () => undefined,
}));
