import { describeTaskStoreContract } from '../../libs/tasks/src/adapters/store-contract.spec-helper';
import { initializeStepwiseDataSource, TypeOrmTaskStore } from '../../libs/tasks/src/adapters/typeorm';
import type { DataSource } from 'typeorm';
import { PostgresServer } from './harness/postgres-server';

/** The store contract on a real PostgreSQL started by the harness. */
const postgres = new PostgresServer();
let dataSource: DataSource | undefined;

afterAll(async () => {
  await dataSource?.destroy();
  await postgres.stop();
});

describeTaskStoreContract('TypeOrmTaskStore on PostgreSQL', async () => {
  if (!dataSource) {
    await postgres.start();
    dataSource = await initializeStepwiseDataSource({ url: postgres.url });
  }
  await dataSource.query('TRUNCATE stepwise_task_events, stepwise_task_steps, stepwise_tasks');
  return { store: new TypeOrmTaskStore(dataSource, { clock: 'caller' }), close: async () => undefined };
});
