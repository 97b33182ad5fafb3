import { describeTaskStoreContract } from '../store-contract.spec-helper';
import { describeStoreOutboxContract } from '../store-outbox-contract.spec-helper';
import { MemoryTaskStore } from './memory-task-store';
import { MemoryWebhookOutbox } from './memory-webhook-outbox';

describeTaskStoreContract('MemoryTaskStore', async () => ({
  store: new MemoryTaskStore(),
  close: async () => undefined,
}));

describeStoreOutboxContract('MemoryTaskStore', async () => {
  const store = new MemoryTaskStore();
  return { store, outbox: new MemoryWebhookOutbox(store.webhookDeliveries), close: async () => undefined };
});
