import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeScheduleStoreContract } from '../testing/schedule-store-contract';
import { createStepwiseDataSource } from './data-source';
import { TypeOrmScheduleStore } from './typeorm-schedule-store';

describeScheduleStoreContract('TypeOrmScheduleStore on SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stepwise-schedules-'));
  const dataSource = await createStepwiseDataSource({ sqlitePath: join(dir, 'schedules.sqlite') }).initialize();
  return {
    store: new TypeOrmScheduleStore(dataSource),
    close: async () => {
      await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
