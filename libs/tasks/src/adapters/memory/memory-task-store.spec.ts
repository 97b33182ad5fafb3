import { describeStoreLimitsContract } from '../testing/store-limits-contract';
import { describeTaskStoreContract } from '../testing/store-contract';
import { describeStoreOutboxContract } from '../testing/store-outbox-contract';
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

describeStoreLimitsContract('MemoryTaskStore', async () => ({
  store: new MemoryTaskStore(),
  close: async () => undefined,
}));
