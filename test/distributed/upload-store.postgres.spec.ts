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

describe('TypeOrmUploadStore on PostgreSQL: tus creations under openUploads racing in many sessions', () => {
  it('records exactly as many uploads in progress as the quota allows, whatever the number in flight', async () => {
    if (!dataSource) {
      await postgres.start();
      dataSource = await initializeStepwiseDataSource({ url: postgres.url });
    }
    const db = dataSource;
    await db.query('TRUNCATE stepwise_uploads, stepwise_upload_reservations');
    const T0 = 1_700_000_000_000;
    for (let round = 0; round < 5; round++) {
      const owner = `owner-${round}`;
      // A store per creation: as many pooled connections, each its own transaction.
      const stores = Array.from({ length: 8 }, () => new TypeOrmUploadStore(db));
      const outcomes = await Promise.all(
        stores.map((store, i) =>
          store.reserveWithin({ id: `${owner}-${i}`, owner, size: 4, createdAt: T0, expiresAt: T0 + 60_000 }, 3),
        ),
      );
      expect(outcomes.filter((o) => o === null)).toHaveLength(3);
      expect(outcomes.filter((o) => o !== null)).toEqual([3, 3, 3, 3, 3]);
      expect(await stores[0].countOpen(owner, T0)).toBe(3);
    }
  });
});
