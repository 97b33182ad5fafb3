import type { DataSource } from 'typeorm';
import { initializeStepwiseDataSource, TypeOrmUploadStore } from '../../libs/tasks/src/adapters/typeorm';
import { describeUploadStoreContract } from '../../libs/tasks/src/adapters/testing/upload-store-contract';
import { PostgresServer } from './harness/postgres-server';

/** The upload registry contract on a real PostgreSQL started by the harness. */
const postgres = new PostgresServer();
let dataSource: DataSource | undefined;

afterAll(async () => {
  await dataSource?.destroy();
  await postgres.stop();
});

describeUploadStoreContract('TypeOrmUploadStore on PostgreSQL', async () => {
  if (!dataSource) {
    await postgres.start();
    dataSource = await initializeStepwiseDataSource({ url: postgres.url });
  }
  await dataSource.query('TRUNCATE stepwise_uploads, stepwise_upload_reservations');
  return { store: new TypeOrmUploadStore(dataSource), close: async () => undefined };
});
