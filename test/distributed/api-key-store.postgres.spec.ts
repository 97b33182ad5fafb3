import type { DataSource } from 'typeorm';
import { initializeStepwiseDataSource, TypeOrmApiKeyStore } from '../../libs/tasks/src/adapters/typeorm';
import { describeApiKeyStoreContract } from '../../libs/tasks/src/adapters/testing/api-key-store-contract';
import { PostgresServer } from './harness/postgres-server';

/** The API key store contract on a real PostgreSQL started by the harness (migration 1700000000007 included). */
const postgres = new PostgresServer();
let dataSource: DataSource | undefined;

afterAll(async () => {
  await dataSource?.destroy();
  await postgres.stop();
});

describeApiKeyStoreContract('TypeOrmApiKeyStore on PostgreSQL', async () => {
  if (!dataSource) {
    await postgres.start();
    dataSource = await initializeStepwiseDataSource({ url: postgres.url });
  }
  await dataSource.query('TRUNCATE stepwise_api_keys');
  return { store: new TypeOrmApiKeyStore(dataSource), close: async () => undefined };
});
