import { describeUploadStoreContract } from '../upload-store-contract.spec-helper';
import { MemoryUploadStore } from './memory-upload-store';

describeUploadStoreContract('MemoryUploadStore', async () => ({
  store: new MemoryUploadStore(),
  close: async () => undefined,
}));
