import { describeUploadStoreContract } from '../testing/upload-store-contract';
import { MemoryUploadStore } from './memory-upload-store';

describeUploadStoreContract('MemoryUploadStore', async () => ({
  store: new MemoryUploadStore(),
  close: async () => undefined,
}));
