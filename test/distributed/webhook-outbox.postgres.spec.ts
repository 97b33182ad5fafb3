import type { DataSource } from 'typeorm';
import { initializeStepwiseDataSource, TypeOrmWebhookOutbox } from '../../libs/tasks/src/adapters/typeorm';
import { describeWebhookOutboxContract } from '../../libs/tasks/src/adapters/testing/webhook-outbox-contract';
import { PostgresServer } from './harness/postgres-server';

/** The webhook outbox contract on a real PostgreSQL, with two pools racing for claims. */
const postgres = new PostgresServer();
let dataSources: [DataSource, DataSource] | undefined;

afterAll(async () => {
  for (const dataSource of dataSources ?? []) await dataSource.destroy();
  await postgres.stop();
});

describeWebhookOutboxContract('TypeOrmWebhookOutbox on PostgreSQL', async () => {
  if (!dataSources) {
    await postgres.start();
    dataSources = [
      await initializeStepwiseDataSource({ url: postgres.url }),
      await initializeStepwiseDataSource({ url: postgres.url }),
    ];
  }
  await dataSources[0].query('TRUNCATE stepwise_webhook_deliveries');
  return {
    outbox: new TypeOrmWebhookOutbox(dataSources[0]),
    other: new TypeOrmWebhookOutbox(dataSources[1]),
    close: async () => undefined,
  };
});
