import { describeTaskStoreContract } from '../../libs/tasks/src/adapters/store-contract.spec-helper';
import { describeStoreOutboxContract } from '../../libs/tasks/src/adapters/store-outbox-contract.spec-helper';
import {
  initializeStepwiseDataSource,
  TypeOrmTaskStore,
  TypeOrmWebhookOutbox,
} from '../../libs/tasks/src/adapters/typeorm';
import type { DataSource } from 'typeorm';
import { PostgresServer } from './harness/postgres-server';

/** The store contract on a real PostgreSQL started by the harness. */
const postgres = new PostgresServer();
let dataSource: DataSource | undefined;

afterAll(async () => {
  await dataSource?.destroy();
  await postgres.stop();
});

/** An empty database, the server started on first use. */
async function empty(): Promise<DataSource> {
  if (!dataSource) {
    await postgres.start();
    dataSource = await initializeStepwiseDataSource({ url: postgres.url });
  }
  await dataSource.query(
    'TRUNCATE stepwise_task_events, stepwise_task_steps, stepwise_tasks, stepwise_webhook_deliveries',
  );
  return dataSource;
}

describeTaskStoreContract('TypeOrmTaskStore on PostgreSQL', async () => {
  const db = await empty();
  return { store: new TypeOrmTaskStore(db, { clock: 'caller' }), close: async () => undefined };
});

describeStoreOutboxContract('TypeOrmTaskStore on PostgreSQL', async () => {
  const db = await empty();
  return {
    store: new TypeOrmTaskStore(db, { clock: 'caller' }),
    outbox: new TypeOrmWebhookOutbox(db),
    close: async () => undefined,
  };
});
