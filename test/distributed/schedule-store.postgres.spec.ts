import type { DataSource } from 'typeorm';
import { initializeStepwiseDataSource, TypeOrmScheduleStore } from '../../libs/tasks/src/adapters/typeorm';
import { describeScheduleStoreContract } from '../../libs/tasks/src/adapters/testing/schedule-store-contract';
import { PostgresServer } from './harness/postgres-server';

/** The schedule store contract on a real PostgreSQL started by the harness. */
const postgres = new PostgresServer();
let dataSource: DataSource | undefined;

afterAll(async () => {
  await dataSource?.destroy();
  await postgres.stop();
});

describeScheduleStoreContract('TypeOrmScheduleStore on PostgreSQL', async () => {
  if (!dataSource) {
    await postgres.start();
    dataSource = await initializeStepwiseDataSource({ url: postgres.url });
  }
  await dataSource.query('TRUNCATE stepwise_schedules');
  return { store: new TypeOrmScheduleStore(dataSource), close: async () => undefined };
});
