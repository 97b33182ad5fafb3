import { describeScheduleStoreContract } from '../testing/schedule-store-contract';
import { MemoryScheduleStore } from './memory-schedule-store';

describeScheduleStoreContract('MemoryScheduleStore', async () => ({
  store: new MemoryScheduleStore(),
  close: async () => undefined,
}));
